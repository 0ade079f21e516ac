#!/usr/bin/env sh
# azd postdeploy hook: subscribes the schemaChanged function to the schema-change topic that
# main.bicep created (docs/schema-change-events.md). It runs after deploy because an Event Grid
# subscription with endpoint type AzureFunction needs the function to exist. CloudEvents 1.0 in
# and out, retries for 24 hours, then dead-lettering to the storage container with the topic's
# own identity. Idempotent: it updates the subscription when it exists. Fails loudly.
set -eu

fail() {
  echo "ERROR: $1" >&2
  echo "Create it by hand with the command in docs/schema-change-events.md, step 2." >&2
  exit 1
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is not installed."
if [ -z "${SCHEMA_EVENTS_TOPIC_ID:-}" ] || [ -z "${AZURE_FUNCTION_APP_ID:-}" ]; then
  eval "$(azd env get-values 2>/dev/null || true)"
fi
[ -n "${SCHEMA_EVENTS_TOPIC_ID:-}" ] || fail "SCHEMA_EVENTS_TOPIC_ID is not set: run after 'azd provision'."
[ -n "${AZURE_FUNCTION_APP_ID:-}" ] || fail "AZURE_FUNCTION_APP_ID is not set: run after 'azd provision'."
[ -n "${SCHEMA_EVENTS_DEADLETTER_ENDPOINT:-}" ] || fail "SCHEMA_EVENTS_DEADLETTER_ENDPOINT is not set."

name="autopilot-schema-changes"
set -- --name "$name" --source-resource-id "$SCHEMA_EVENTS_TOPIC_ID" \
  --endpoint-type azurefunction --endpoint "$AZURE_FUNCTION_APP_ID/functions/schemaChanged" \
  --event-delivery-schema cloudeventschemav1_0 \
  --max-delivery-attempts 30 --event-ttl 1440 \
  --deadletter-identity systemassigned --deadletter-identity-endpoint "$SCHEMA_EVENTS_DEADLETTER_ENDPOINT"
# With a publisher prefix, only its three event types are delivered (the app checks them again).
prefix="${SCHEMA_EVENT_TYPE_PREFIX:-}"
prefix="${prefix%.}"
if [ -n "$prefix" ]; then
  set -- "$@" --included-event-types "$prefix.sql.table.created.v1" "$prefix.sql.table.altered.v1" \
    "$prefix.sql.table.dropped.v1"
fi

echo "Subscribing schemaChanged to $SCHEMA_EVENTS_TOPIC_ID"
output=$(az eventgrid event-subscription create "$@" 2>&1) ||
  fail "could not create the Event Grid subscription $name: $output"
echo "  subscription $name is in place (dead letters: $SCHEMA_EVENTS_DEADLETTER_ENDPOINT)"
