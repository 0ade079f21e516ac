import type { RequestView } from "../ledger/ledger";

/**
 * `GET /api/onboarding/{requestId}` body: exactly the contract's fields. The `request.completed`
 * event and the callback promise the same body, so intake and outcomes both build it from here.
 */
export interface RequestStatusBody {
  requestId: string;
  workspace: string;
  linkConnection: string;
  status: RequestView["status"];
  /** Why a request was Rejected as a whole. */
  error?: string;
  tables: { schema: string; name: string; status: RequestView["tables"][number]["status"]; error?: string }[];
  createdAt: string;
  updatedAt: string;
}

export function requestStatusBody(view: RequestView): RequestStatusBody {
  return {
    requestId: view.requestId,
    workspace: view.workspace,
    linkConnection: view.linkConnection,
    status: view.status,
    ...(view.error ? { error: view.error } : {}),
    tables: view.tables.map((t) => ({
      schema: t.schema,
      name: t.name,
      status: t.status,
      ...(t.error ? { error: t.error } : {}),
    })),
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  };
}
