// Synapse Link Autopilot on Azure Functions Flex Consumption, identity-based everywhere (no keys).
// Deploy with `azd up` (azure.yaml at the repo root); docs/deploy.md walks through it and lists every
// resource, role assignment and alert this file creates. No Bicep compiler runs in this repository's
// CI: test/unit/infra.test.ts checks settings, role ids and documented parameters by reading the text.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------- parameters

@description('azd environment name: tagged on every resource as azd-env-name.')
param environmentName string

@description('Prefix for resource names (3-11 lower-case letters or digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'slautopilot'

param location string = resourceGroup().location

@description('Tags applied to every resource (merged with azd-env-name).')
param tags object = {}

@description('SYNAPSE_WORKSPACES: comma-separated workspace names (or name=https://endpoint).')
@minLength(1)
param synapseWorkspaces string

@description('ALLOWED_LINKS entries: workspace/link or workspace/*.')
param allowedLinks array = []

@description('ROUTING_RULES: routing rule objects (docs/configuration.md).')
param routingRules array = []

@description('SCHEMA_EVENT_TYPE_PREFIX: accept only schema-change event types with this prefix (empty: any).')
param schemaEventTypePrefix string = ''

@description('Create an Event Grid topic (CloudEvents schema) for outcome events.')
param createOutcomeTopic bool = true

@description('Endpoint of an existing outcome topic, used when createOutcomeTopic is false (empty: no outcome events).')
param outcomeTopicEndpoint string = ''

@secure()
@description('Access key of that existing topic (stored in Key Vault); empty: the app identity signs in.')
param eventGridTopicKey string = ''

@secure()
@description('WEBHOOK_SECRET: Standard Webhooks secrets (whsec_...), space-separated for rotation; stored in Key Vault.')
param webhookSecret string = ''

@description('Object id of the principal that publishes schema-change events (the SQL logical server identity); gets EventGrid Data Sender on the schema-events topic.')
param schemaEventPublisherPrincipalId string = ''

@description('Full resource ids of the Synapse workspaces: the app identity gets Reader on each (and the SQL pool resume role with autoResumeSqlPools).')
param synapseWorkspaceIds array = []

@description('SYNAPSE_SQL_POOLS: workspace/link=pool entries, the dedicated SQL pool each link writes to (docs/configuration.md).')
param synapseSqlPools array = []

@description('AUTO_RESUME_SQL_POOLS: let the app resume a paused dedicated SQL pool (assigns a custom role on each workspace).')
param autoResumeSqlPools bool = false

@description('Add a VNet, Flex Consumption VNet integration and private endpoints for storage and Key Vault.')
param vnetEnabled bool = false

@description('With vnetEnabled: a private endpoint to each workspace in synapseWorkspaceIds (sub-resource Dev).')
param synapsePrivateEndpoints bool = false

@description('Existing action group for the alerts (resource id); empty: one is created from alertEmails and alertWebhookUrl.')
param actionGroupId string = ''

@description('E-mail addresses the created action group notifies.')
param alertEmails array = []

@description('Webhook the created action group calls (common alert schema).')
@secure()
param alertWebhookUrl string = ''

@description('Alert when a request stays Queued or InProgress longer than this many hours.')
@minValue(1)
@maxValue(168)
param stuckRequestHours int = 6

@description('Alert when a worker backs off or a breaker stays open longer than this many minutes.')
@allowed([15, 30, 45, 60, 120, 180, 360])
param backoffAlertMinutes int = 30

@description('Put the app behind App Service Authentication (Entra ID), for the dashboard.')
param dashboardAuthEnabled bool = false

@description('Client id of the Entra ID app registration used by App Service Authentication.')
param dashboardAuthClientId string = ''

// ---------------------------------------------------------------- names and constants

var suffix = uniqueString(resourceGroup().id, environmentName)
var storageName = take('${namePrefix}${suffix}', 24)
var deploymentContainer = 'app-package'
var deadLetterContainer = 'schema-events-deadletter'
var taskHubName = 'SynapseLinkAutopilot'
var allTags = union({ 'azd-env-name': environmentName }, tags)
var vaultName = take('${namePrefix}kv${suffix}', 24)

// Built-in role definition ids (test/unit/infra.test.ts keeps the table of known names).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// ---------------------------------------------------------------- identity, monitoring, storage

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id-${suffix}'
  location: location
  tags: allTags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  tags: allTags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai-${suffix}'
  location: location
  tags: allTags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: allTags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // With the VNet, only private endpoints and trusted Azure services (Event Grid dead-lettering
    // with its managed identity) get in.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainer
}

// ---------------------------------------------------------------- Key Vault (RBAC mode)

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: allTags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource webhookSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(webhookSecret)) {
  parent: vault
  name: 'webhook-secret'
  properties: { value: webhookSecret }
}

resource topicKeyValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(eventGridTopicKey)) {
  parent: vault
  name: 'eventgrid-topic-key'
  properties: { value: eventGridTopicKey }
}

// ---------------------------------------------------------------- Event Grid

resource outcomeTopic 'Microsoft.EventGrid/topics@2022-06-15' = if (createOutcomeTopic) {
  name: '${namePrefix}-outcomes-${suffix}'
  location: location
  tags: allTags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
  }
}

// Inbound schema-change events (docs/schema-change-events.md). The subscription to the
// schemaChanged function is created by infra/scripts/subscribe-schema-events.* after deploy,
// once the function exists; it dead-letters to `deadLetterContainer` with this topic's identity.
resource schemaTopic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: '${namePrefix}-schema-${suffix}'
  location: location
  tags: allTags
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    // The SQL side signs in with its managed identity (EventGrid Data Sender below).
    disableLocalAuth: true
  }
}

// ---------------------------------------------------------------- network (optional)

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    location: location
    tags: allTags
    vnetName: '${namePrefix}-vnet-${suffix}'
    storageAccountId: storage.id
    vaultId: vault.id
    synapseWorkspaceIds: synapsePrivateEndpoints ? synapseWorkspaceIds : []
  }
}

// ---------------------------------------------------------------- function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  tags: allTags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

var outcomeEndpoint = createOutcomeTopic ? outcomeTopic!.properties.endpoint : outcomeTopicEndpoint
var keyVaultReference = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName='

// app settings: begin (test/unit/infra.test.ts reads the names between these markers)
var baseSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // DefaultAzureCredential (Synapse, Event Grid, ARM) picks the user-assigned identity through this.
  AZURE_CLIENT_ID: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  TASK_HUB_NAME: taskHubName
  SYNAPSE_WORKSPACES: synapseWorkspaces
  // Arrays in, JSON text out: azd passes real JSON through array parameters (docs/deploy.md).
  ALLOWED_LINKS: join(allowedLinks, ',')
  ROUTING_RULES: string(routingRules)
  AUTO_RESUME_SQL_POOLS: autoResumeSqlPools ? 'true' : 'false'
}
// Settings that are left out, not set to '', when they have no value: the app rejects ''.
var optionalSettings = union(
  empty(outcomeEndpoint) ? {} : { EVENTGRID_TOPIC_ENDPOINT: outcomeEndpoint },
  empty(eventGridTopicKey) ? {} : { EVENTGRID_TOPIC_KEY: '${keyVaultReference}eventgrid-topic-key)' },
  empty(webhookSecret) ? {} : { WEBHOOK_SECRET: '${keyVaultReference}webhook-secret)' },
  empty(schemaEventTypePrefix) ? {} : { SCHEMA_EVENT_TYPE_PREFIX: schemaEventTypePrefix },
  // The management-plane checks (SQL pool status and resume) need the workspaces' resource ids.
  empty(synapseWorkspaceIds) ? {} : { SYNAPSE_WORKSPACE_RESOURCE_IDS: join(synapseWorkspaceIds, ',') },
  empty(synapseSqlPools) ? {} : { SYNAPSE_SQL_POOLS: join(synapseSqlPools, ',') }
)
// app settings: end
var appSettings = union(baseSettings, optionalSettings)

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  tags: union(allTags, { 'azd-service-name': 'api' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : null
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      appSettings: [for setting in items(appSettings): { name: setting.key, value: setting.value }]
    }
  }
  dependsOn: [storageRoles, vaultRole]
}

// App Service Authentication (Entra ID) in front of the dashboard (docs/deploy.md "Dashboard sign-in").
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (dashboardAuthEnabled) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Function-key callers (POST /api/onboarding) and Event Grid keep working.
      excludedPaths: ['/api/onboarding', '/runtime/webhooks/eventgrid']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: dashboardAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: { allowedAudiences: ['api://${dashboardAuthClientId}'] }
      }
    }
  }
}

// ---------------------------------------------------------------- role assignments

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
    name: guid(storage.id, identity.id, role)
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource topicRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (createOutcomeTopic) {
  name: guid(resourceGroup().id, identity.id, roles.eventGridDataSender)
  scope: outcomeTopic
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
  }
}

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource publisherRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(schemaEventPublisherPrincipalId)) {
  name: guid(schemaTopic.id, schemaEventPublisherPrincipalId, roles.eventGridDataSender)
  scope: schemaTopic
  properties: {
    principalId: schemaEventPublisherPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
  }
}

// The schema topic writes undeliverable events into the dead-letter container with its own identity.
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, schemaTopic.id, roles.storageBlobDataContributor)
  scope: deadLetters
  properties: {
    principalId: schemaTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

// Reader (and, with autoResumeSqlPools, a custom SQL pool resume role) on each workspace, which
// may live in another resource group of the subscription.
module synapseAccess 'modules/synapseAccess.bicep' = [
  for (workspaceId, i) in synapseWorkspaceIds: {
    name: 'synapse-access-${i}'
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      principalId: identity.properties.principalId
      autoResumeSqlPools: autoResumeSqlPools
    }
  }
]

// ---------------------------------------------------------------- alerts and workbook

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    namePrefix: namePrefix
    suffix: suffix
    insightsId: insights.id
    actionGroupId: actionGroupId
    alertEmails: alertEmails
    alertWebhookUrl: alertWebhookUrl
    stuckRequestHours: stuckRequestHours
    backoffAlertMinutes: backoffAlertMinutes
  }
}

// ---------------------------------------------------------------- outputs (azd env values, read by the hooks)

output AZURE_FUNCTION_APP_NAME string = app.name
output AZURE_FUNCTION_APP_ID string = app.id
output FUNCTION_APP_URL string = 'https://${app.properties.defaultHostName}'
output APP_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output SYNAPSE_WORKSPACES string = synapseWorkspaces
output OUTCOME_TOPIC_ENDPOINT string = outcomeEndpoint
output SCHEMA_EVENTS_TOPIC_ID string = schemaTopic.id
output SCHEMA_EVENTS_TOPIC_ENDPOINT string = schemaTopic.properties.endpoint
output SCHEMA_EVENTS_DEADLETTER_ENDPOINT string = '${storage.id}/blobServices/default/containers/${deadLetterContainer}'
output SCHEMA_EVENT_TYPE_PREFIX string = schemaEventTypePrefix
output KEY_VAULT_NAME string = vault.name
output APPLICATIONINSIGHTS_NAME string = insights.name
output RESOURCE_GROUP string = resourceGroup().name
output AZURE_TENANT_ID string = tenant().tenantId
