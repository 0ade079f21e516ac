import type { RequestView } from "../../shared/ledger/ledger";

/** The parts of a completed request that differ from test to test. */
export type CompletedRequestFields = Pick<
  RequestView,
  "workspace" | "linkConnection" | "requestId" | "tables"
>;

/** An add request that Succeeded (created 2026-01-05 08:00, updated 08:30), with a callback URL when given. */
export function succeededRequest(fields: CompletedRequestFields, callbackUrl?: string): RequestView {
  return {
    workspace: fields.workspace,
    linkConnection: fields.linkConnection,
    requestId: fields.requestId,
    action: "add",
    status: "Succeeded",
    tables: fields.tables,
    createdAt: "2026-01-05T08:00:00.000Z",
    updatedAt: "2026-01-05T08:30:00.000Z",
    ...(callbackUrl ? { callbackUrl } : {}),
  };
}
