import { createHash } from "node:crypto";

/** One link connection in one Synapse workspace: the unit a link worker serializes edits for. */
export interface LinkRef {
  workspace: string;
  linkConnection: string;
}

/**
 * Synapse compares workspace and link-connection names without regard to case, so the app does
 * too: `DEMO-LINK` and `demo-link` are one link, with one worker and one ledger partition. Keys and
 * instance ids are built from this form; the spelling a caller used is kept for display.
 */
export function canonicalLink(link: LinkRef): LinkRef {
  return { workspace: link.workspace.toLowerCase(), linkConnection: link.linkConnection.toLowerCase() };
}

export function sameLink(a: LinkRef, b: LinkRef): boolean {
  const x = canonicalLink(a);
  const y = canonicalLink(b);
  return x.workspace === y.workspace && x.linkConnection === y.linkConnection;
}

export function describeLink(link: LinkRef): string {
  return `${link.workspace}/${link.linkConnection}`;
}

/**
 * Durable instance ids may not contain `/ \ # ?` or control characters and should stay short;
 * a readable prefix plus a hash of the exact names keeps them stable, valid and unique.
 */
export function linkWorkerInstanceId(link: LinkRef): string {
  const { workspace, linkConnection } = canonicalLink(link);
  const readable = `${workspace}-${linkConnection}`.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60);
  const hash = createHash("sha256").update(`${workspace}\n${linkConnection}`).digest("hex").slice(0, 12);
  return `linkWorker-${readable}-${hash}`;
}

/** The configured spelling of a workspace name, if configured: Synapse names are case-insensitive (`DEMO` is `demo`). */
export function configuredWorkspaceName(workspaces: readonly string[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return workspaces.find((w) => w.toLowerCase() === wanted);
}
