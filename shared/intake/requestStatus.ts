import { requestStatusBody, type RequestStatusBody } from "../contracts/requestStatus";
import type { Ledger } from "../ledger/ledger";
import { readAcceptance } from "./acceptanceToken";
import { refused, type Refused } from "./refusals";

export type RequestStatusResult = { kind: "ok"; body: RequestStatusBody } | Refused<"requestNotFound">;

/**
 * `GET /api/onboarding/{requestId}`: the request and each of its tables, from the ledger. A request
 * accepted a moment ago may not be recorded yet: with the acceptance token of its `statusUrl` it is
 * `Queued` (its tables appear once the queue consumer records it); without one it is unknown.
 */
export async function getRequestStatus(
  deps: { ledger: Pick<Ledger, "getRequest"> },
  requestId: string,
  accepted?: { token: string; key: Buffer; now: Date },
): Promise<RequestStatusResult> {
  const view = await deps.ledger.getRequest(requestId);
  if (view) return { kind: "ok", body: requestStatusBody(view) };
  const acceptance = accepted && readAcceptance(accepted.key, requestId, accepted.token, accepted.now);
  if (!acceptance) return refused({ kind: "requestNotFound", requestId });
  return {
    kind: "ok",
    body: {
      requestId,
      workspace: acceptance.workspace,
      linkConnection: acceptance.linkConnection,
      status: "Queued",
      tables: [],
      createdAt: acceptance.acceptedAt,
      updatedAt: acceptance.acceptedAt,
    },
  };
}
