# azd postdeploy hook (Windows). Same as subscribe-schema-events.sh: subscribes the schemaChanged
# function to the schema-change topic, CloudEvents 1.0, retries for 24 hours, dead-lettering with
# the topic's identity (docs/schema-change-events.md). Fails loudly.
$ErrorActionPreference = 'Stop'

function Fail([string]$Message) {
    Write-Error -ErrorAction Continue "ERROR: $Message"
    Write-Host 'Create it by hand with the command in docs/schema-change-events.md, step 2.'
    exit 1
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) { Fail 'the Azure CLI (az) is not installed.' }
if (-not $env:SCHEMA_EVENTS_TOPIC_ID -or -not $env:AZURE_FUNCTION_APP_ID) {
    foreach ($line in (azd env get-values)) {
        if ($line -match '^([^=]+)="?(.*?)"?$') { Set-Item -Path "env:$($Matches[1])" -Value $Matches[2] }
    }
}
if (-not $env:SCHEMA_EVENTS_TOPIC_ID) { Fail "SCHEMA_EVENTS_TOPIC_ID is not set: run after 'azd provision'." }
if (-not $env:AZURE_FUNCTION_APP_ID) { Fail "AZURE_FUNCTION_APP_ID is not set: run after 'azd provision'." }
if (-not $env:SCHEMA_EVENTS_DEADLETTER_ENDPOINT) { Fail 'SCHEMA_EVENTS_DEADLETTER_ENDPOINT is not set.' }

$name = 'autopilot-schema-changes'
$arguments = @(
    'eventgrid', 'event-subscription', 'create', '--name', $name,
    '--source-resource-id', $env:SCHEMA_EVENTS_TOPIC_ID,
    '--endpoint-type', 'azurefunction', '--endpoint', "$($env:AZURE_FUNCTION_APP_ID)/functions/schemaChanged",
    '--event-delivery-schema', 'cloudeventschemav1_0',
    '--max-delivery-attempts', '30', '--event-ttl', '1440',
    '--deadletter-identity', 'systemassigned', '--deadletter-identity-endpoint', $env:SCHEMA_EVENTS_DEADLETTER_ENDPOINT
)
$prefix = "$env:SCHEMA_EVENT_TYPE_PREFIX".TrimEnd('.')
if ($prefix) {
    $arguments += @('--included-event-types', "$prefix.sql.table.created.v1", "$prefix.sql.table.altered.v1", "$prefix.sql.table.dropped.v1")
}

Write-Host "Subscribing schemaChanged to $env:SCHEMA_EVENTS_TOPIC_ID"
$output = az @arguments 2>&1
if ($LASTEXITCODE -ne 0) { Fail "could not create the Event Grid subscription ${name}: $output" }
Write-Host "  subscription $name is in place (dead letters: $env:SCHEMA_EVENTS_DEADLETTER_ENDPOINT)"
