import { app, type InvocationContext } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { handleSchemaChange } from "../shared/events/handleSchemaChange";
import { shareLinkTableReads } from "../shared/events/sharedLinkTableReads";
import { onboardingQueueOutput } from "./onboardingQueueOutput";

/*
 * Event Grid trigger for schema-change events (docs/events.md#schema-change-events; the SQL side is
 * sql/schema-change-events.sql, documented in docs/schema-change-events.md). Binding glue only:
 * the use case parses and routes the event; this writes its queue message or logs why not.
 *
 * A malformed or unrouted event is logged and dropped, never thrown: a failed invocation would make
 * Event Grid redeliver it. Infrastructure faults (Synapse, storage) do throw, so Event Grid retries.
 */

export async function schemaChanged(event: unknown, context: InvocationContext): Promise<void> {
  const deps = getDependencies();
  const { routing, schemaEventTypePrefix } = deps.config.intake;
  const outcome = await handleSchemaChange(
    {
      routing,
      ledger: deps.ledger,
      // The events of one delivery run at once: one read of each link's tables serves them all.
      synapse: shareLinkTableReads(deps.synapse),
      ...(schemaEventTypePrefix !== undefined ? { schemaEventTypePrefix } : {}),
    },
    event,
    new Date().toISOString(),
  );
  if (outcome.kind === "dropped") {
    context.warn(`schemaChanged: event ${outcome.eventId ?? "(no id)"} dropped: ${outcome.reason}`);
    return;
  }
  const { message } = outcome;
  context.extraOutputs.set(onboardingQueueOutput, message);
  const tables = message.tables.map((t) => `${t.schema}.${t.name}`).join(", ");
  context.log(
    `schemaChanged: event ${outcome.eventId} → ${message.action} ${tables} in ${message.workspace}/${message.linkConnection} (request ${message.requestId})`,
  );
}

app.eventGrid<unknown>("schemaChanged", { handler: schemaChanged, extraOutputs: [onboardingQueueOutput] });
