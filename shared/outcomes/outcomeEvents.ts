import { requestStatusBody, type RequestStatusBody } from "../contracts/requestStatus";
import { uuidV5 } from "../domain/linkTableId";
import type { LinkRef } from "../domain/linkRef";
import { qualifiedName, tableKey, type TableName } from "../domain/tableName";
import type { RequestView } from "../ledger/ledger";
import type { TableOutcome } from "./outcomePublisher";

/**
 * The outgoing CloudEvents 1.0 (docs/events.md#outcome-events): what they look like is decided here, once,
 * so the Event Grid adapter only sends and the callback notifier posts the same completion payload.
 */

/** Namespace of the outcome events' name-based ids (a fixed random UUID). */
const OUTCOME_EVENT_NAMESPACE = "9f3c2a71-6d0e-4b8f-8a43-2e5d7c1b9a60";

export const OUTCOME_EVENT_KINDS = {
  tableReplicating: "synapselink.table.replicating",
  tableFailed: "synapselink.table.failed",
  requestCompleted: "synapselink.request.completed",
} as const;

export type OutcomeEventKind = keyof typeof OUTCOME_EVENT_KINDS;

/** `data` of `…synapselink.table.replicating` and `…synapselink.table.failed`. */
export interface TableOutcomeData {
  workspace: string;
  linkConnection: string;
  table: TableName;
  status: "Replicating" | "Failed";
  /** Only on `failed`: the service's error code and message, or the app's reason. */
  error?: string;
  /** The requests that asked for the table. */
  requestIds: string[];
  /** Standing warnings about the workspace, e.g. connected to git (docs/control-plane.md#git-mode). */
  warnings?: string[];
}

/**
 * `data` of `…synapselink.request.completed` and the body POSTed to `callbackUrl`: the request as
 * `GET /api/onboarding/{requestId}` shows it, plus its action. The callback URL itself is never
 * included (it may carry a credential, e.g. a Logic Apps `sig`).
 */
export interface CompletedRequestData extends RequestStatusBody {
  action: RequestView["action"];
}

/** The fields of a CloudEvent the app sets (`specversion` and `datacontenttype` are the SDK's). */
export interface OutcomeEvent<T> {
  id: string;
  type: string;
  source: string;
  subject: string;
  time?: Date;
  data: T;
}

export function eventType(prefix: string, kind: OutcomeEventKind): string {
  return `${prefix}.${OUTCOME_EVENT_KINDS[kind]}`;
}

/** `/synapse/workspaces/{workspace}/linkconnections/{link}` (each segment URI-encoded). */
export function eventSource(link: LinkRef): string {
  return `/synapse/workspaces/${encodeURIComponent(link.workspace)}/linkconnections/${encodeURIComponent(link.linkConnection)}`;
}

export function completedRequestData(request: RequestView): CompletedRequestData {
  return { ...requestStatusBody(request), action: request.action };
}

/**
 * The id is derived from what the event says, so an activity that is retried after publishing
 * sends the same id again and subscribers can drop the duplicate. The request ids are part of it: a
 * table re-added by a later request that reaches Replicating again is a new event.
 */
export function tableOutcomeEvent(
  prefix: string,
  kind: "tableReplicating" | "tableFailed",
  outcome: TableOutcome & { warnings?: readonly string[] },
): OutcomeEvent<TableOutcomeData> {
  const type = eventType(prefix, kind);
  const status = kind === "tableReplicating" ? "Replicating" : "Failed";
  const requestIds = [...outcome.requestIds];
  const name = [
    type,
    outcome.workspace.toLowerCase(),
    outcome.linkConnection.toLowerCase(),
    tableKey(outcome.table),
    status,
    [...requestIds].sort().join(","),
  ].join("\n");
  return {
    id: uuidV5(name, OUTCOME_EVENT_NAMESPACE),
    type,
    source: eventSource(outcome),
    subject: `/tables/${qualifiedName(outcome.table)}`,
    data: {
      workspace: outcome.workspace,
      linkConnection: outcome.linkConnection,
      table: { schema: outcome.table.schema, name: outcome.table.name },
      status,
      ...(kind === "tableFailed" ? { error: outcome.error ?? "" } : {}),
      requestIds,
      ...(outcome.warnings?.length ? { warnings: [...outcome.warnings] } : {}),
    },
  };
}

export function requestCompletedEvent(
  prefix: string,
  request: RequestView,
): OutcomeEvent<CompletedRequestData> {
  const type = eventType(prefix, "requestCompleted");
  const time = new Date(request.updatedAt);
  return {
    id: uuidV5([type, request.requestId, request.status].join("\n"), OUTCOME_EVENT_NAMESPACE),
    type,
    source: eventSource(request),
    subject: `/requests/${request.requestId}`,
    // The completion time, so a re-sent event is identical; the SDK stamps `now` when it is absent.
    ...(Number.isNaN(time.getTime()) ? {} : { time }),
    data: completedRequestData(request),
  };
}
