import { createHash } from "node:crypto";

/** One link connection in one Synapse workspace: the unit a link worker serializes edits for. */
export interface LinkRef {
  workspace: string;
  linkConnection: string;
}

export function describeLink(link: LinkRef): string {
  return `${link.workspace}/${link.linkConnection}`;
}

/**
 * Durable instance ids may not contain `/ \ # ?` or control characters and should stay short;
 * a readable prefix plus a hash of the exact names keeps them stable, valid and unique.
 */
export function linkWorkerInstanceId(link: LinkRef): string {
  const readable = `${link.workspace}-${link.linkConnection}`.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60);
  const hash = createHash("sha256")
    .update(`${link.workspace}\n${link.linkConnection}`)
    .digest("hex")
    .slice(0, 12);
  return `linkWorker-${readable}-${hash}`;
}
