// Synapse Link Autopilot on Azure Functions Flex Consumption, identity-based everywhere (no keys).
// Deploy with `azd up` (azure.yaml at the repo root) or `az deployment group create -f infra/main.bicep`.
targetScope = 'resourceGroup'

@description('Prefix for resource names (3-11 lower-case letters or digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'slautopilot'

param location string = resourceGroup().location

@description('SYNAPSE_WORKSPACES: comma-separated workspace names (or name=https://endpoint).')
param synapseWorkspaces string

@description('ALLOWED_LINKS: comma-separated workspace/link or workspace/* entries.')
param allowedLinks string = ''

@description('ROUTING_RULES as a JSON string (see docs/configuration.md).')
param routingRules string = ''

@description('Create an Event Grid topic (CloudEvents schema) for outcome events.')
param createOutcomeTopic bool = true

var suffix = uniqueString(resourceGroup().id)
var storageName = take('${namePrefix}${suffix}', 24)
var deploymentContainer = 'app-package'
var taskHubName = 'SynapseLinkAutopilot'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id-${suffix}'
  location: location
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai-${suffix}'
  location: location
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
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
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

resource outcomeTopic 'Microsoft.EventGrid/topics@2022-06-15' = if (createOutcomeTopic) {
  name: '${namePrefix}-outcomes-${suffix}'
  location: location
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  tags: { 'azd-service-name': 'api' }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '20' }
    }
    siteConfig: {
      appSettings: [
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        // DefaultAzureCredential (Synapse, Event Grid) picks the user-assigned identity through this.
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        { name: 'TASK_HUB_NAME', value: taskHubName }
        { name: 'SYNAPSE_WORKSPACES', value: synapseWorkspaces }
        { name: 'ALLOWED_LINKS', value: allowedLinks }
        { name: 'ROUTING_RULES', value: routingRules }
        { name: 'EVENTGRID_TOPIC_ENDPOINT', value: createOutcomeTopic ? outcomeTopic!.properties.endpoint : '' }
      ]
    }
  }
}

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

output AZURE_FUNCTION_APP_NAME string = app.name
output FUNCTION_APP_URL string = 'https://${app.properties.defaultHostName}'
output APP_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output SYNAPSE_WORKSPACES string = synapseWorkspaces
output OUTCOME_TOPIC_ENDPOINT string = createOutcomeTopic ? outcomeTopic!.properties.endpoint : ''
