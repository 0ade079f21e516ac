// Alerts on the app's own telemetry (docs/observability.md, docs/deploy.md "Alerts") and the
// workbook built from the same data. Log alerts query the Application Insights resource, so the
// classic table names apply: traces, requests, customMetrics.
param location string
param tags object
param namePrefix string
param suffix string
param insightsId string
param actionGroupId string
param alertEmails array
@secure()
param alertWebhookUrl string
param stuckRequestHours int
param backoffAlertMinutes int

var webhookReceivers = empty(alertWebhookUrl) ? [] : [{ name: 'webhook', serviceUri: alertWebhookUrl, useCommonAlertSchema: true }]
var createGroup = empty(actionGroupId) && (!empty(alertEmails) || !empty(alertWebhookUrl))

resource group 'Microsoft.Insights/actionGroups@2023-01-01' = if (createGroup) {
  name: '${namePrefix}-alerts-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(namePrefix, 12)
    enabled: true
    emailReceivers: [
      for (email, i) in alertEmails: { name: 'email-${i}', emailAddress: email, useCommonAlertSchema: true }
    ]
    webhookReceivers: webhookReceivers
  }
}

var groups = !empty(actionGroupId) ? [actionGroupId] : (createGroup ? [group.id] : [])
var backoffWindow = backoffAlertMinutes < 60 ? 'PT${backoffAlertMinutes}M' : 'PT${backoffAlertMinutes / 60}H'

var alerts = [
  {
    name: 'table-failed'
    displayName: 'Autopilot: a table failed for good'
    description: 'A table reached Failed after remediation (docs/deploy.md "Alerts"): its error code says what to fix.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT5M'
    query: 'customMetrics | where name == "autopilot.tables.failed" | extend workspace = tostring(customDimensions.workspace), linkConnection = tostring(customDimensions.linkConnection), code = tostring(customDimensions["error.code"]) | summarize failed = sum(valueSum) by workspace, linkConnection, code | where failed > 0'
  }
  {
    name: 'poison-messages'
    displayName: 'Autopilot: messages in onboarding-requests-poison'
    description: 'An onboarding message could not be processed and was moved to the poison queue.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT5M'
    query: 'traces | where message has "onboarding-requests-poison" | summarize messages = count() by cloud_RoleName'
  }
  {
    name: 'stuck-requests'
    displayName: 'Autopilot: requests Queued or InProgress for more than ${stuckRequestHours} h'
    description: 'The oldest open request of a link is older than the threshold.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: 'customMetrics | where name == "autopilot.requests.oldest_open_age" | extend workspace = tostring(customDimensions.workspace), linkConnection = tostring(customDimensions.linkConnection) | summarize ageSeconds = max(valueMax) by workspace, linkConnection | where ageSeconds > ${stuckRequestHours * 3600}'
  }
  {
    name: 'backoff-or-breaker'
    displayName: 'Autopilot: worker in back-off or breaker open for ${backoffAlertMinutes} min'
    description: 'A link worker kept backing off, or a workspace circuit breaker stayed open, for the whole window.'
    severity: 2
    frequency: 'PT15M'
    window: backoffWindow
    query: 'customMetrics | where name in ("autopilot.worker.backoff", "autopilot.breaker.open") | extend workspace = tostring(customDimensions.workspace), linkConnection = tostring(customDimensions.linkConnection) | summarize lowest = min(valueMin), first = min(timestamp) by name, workspace, linkConnection | where lowest >= 1 and first <= ago(${backoffAlertMinutes}m) + 5m'
  }
  {
    name: 'function-failures'
    displayName: 'Autopilot: function failures'
    description: 'Function invocations failed (activities that exhausted retries, triggers that threw).'
    severity: 3
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'requests | where success == false | summarize failures = count() by operation_Name | where failures > 0'
  }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [
  for alert in alerts: {
    name: '${namePrefix}-${alert.name}-${suffix}'
    location: location
    tags: tags
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      scopes: [insightsId]
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: { actionGroups: groups }
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(insightsId, 'synapse-link-autopilot-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Synapse Link Autopilot'
    category: 'workbook'
    sourceId: insightsId
    serializedData: string(loadJsonContent('../workbook.json'))
  }
}

output actionGroupIds array = groups
