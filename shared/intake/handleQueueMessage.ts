import type { WorkerSettings } from "../config";
import type { IntakeLedger } from "../ledger/ledger";
import type { WorkerScheduler } from "../worker/ensureLinkWorker";
import { acceptOnboardingRequest, type AcceptResult } from "./acceptOnboardingRequest";
import { fieldErrors } from "./onboardingRequestBody";
import { queueMessageSchema, toOnboardingRequest } from "./queueMessage";

export type QueueMessageResult =
  | ({ kind: "accepted"; requestId: string } & AcceptResult)
  /** Never silently dropped: recorded in the ledger and copied to the poison queue by the trigger. */
  | { kind: "poison"; reason: string; body: string };

/**
 * `onboarding-requests` consumer: validates the message, records the request as Queued and makes
 * sure the link's worker sees it. A re-add (the end of a schema-change window) clears the table's
 * detached mark once the request is safely recorded.
 */
export async function handleQueueMessage(
  deps: { ledger: IntakeLedger; scheduler: WorkerScheduler; settings: WorkerSettings },
  raw: unknown,
  meta: { messageId: string },
  now: string,
): Promise<QueueMessageResult> {
  let json = raw;
  if (typeof raw === "string") {
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
  }
  const body = typeof raw === "string" ? raw : raw === undefined ? "" : JSON.stringify(raw);
  const parsed = queueMessageSchema.safeParse(json);
  if (!parsed.success) {
    const reason =
      json === undefined
        ? "message is not JSON"
        : `invalid message: ${fieldErrors(parsed.error)
            .map((e) => `${e.pointer} ${e.detail}`)
            .join("; ")}`;
    await deps.ledger.recordRejectedMessage({ messageId: meta.messageId, reason, body }, now);
    return { kind: "poison", reason, body };
  }
  const request = toOnboardingRequest(parsed.data);
  const accepted = await acceptOnboardingRequest(deps, request, now);
  if (request.action === "reAdd") {
    for (const table of request.tables) await deps.ledger.setDetached(request, table.source, false, now);
  }
  return { kind: "accepted", requestId: request.requestId, ...accepted };
}
