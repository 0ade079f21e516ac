import { requestStatusBody, type RequestStatusBody } from "../contracts/requestStatus";
import type { Ledger } from "../ledger/ledger";
import { refused, type Refused } from "./refusals";

export type RequestStatusResult = { kind: "ok"; body: RequestStatusBody } | Refused<"requestNotFound">;

/** `GET /api/onboarding/{requestId}`: the request and each of its tables, from the ledger. */
export async function getRequestStatus(
  deps: { ledger: Pick<Ledger, "getRequest"> },
  requestId: string,
): Promise<RequestStatusResult> {
  const view = await deps.ledger.getRequest(requestId);
  if (!view) return refused({ kind: "requestNotFound", requestId });
  return { kind: "ok", body: requestStatusBody(view) };
}
