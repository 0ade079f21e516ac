// vnetEnabled: a VNet with a subnet delegated to Flex Consumption (Microsoft.App/environments) and a
// subnet for private endpoints to storage (blob, queue, table), Key Vault and, optionally, each
// Synapse workspace's dev endpoint; with the private DNS zones that make their names resolve inside.
param location string
param tags object
param vnetName string
param storageAccountId string
param vaultId string
@description('Workspaces that get a private endpoint to their dev endpoint (sub-resource Dev).')
param synapseWorkspaceIds array = []

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: '10.0.1.0/24'
          delegations: [{ name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.0.2.0/24'
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

var peSubnetId = '${vnet.id}/subnets/private-endpoints'

var endpoints = concat(
  [
    { name: 'blob', target: storageAccountId, group: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
    { name: 'queue', target: storageAccountId, group: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
    { name: 'table', target: storageAccountId, group: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
    { name: 'vault', target: vaultId, group: 'vault', zone: 'privatelink.vaultcore.azure.net' }
  ],
  map(range(0, length(synapseWorkspaceIds)), i => {
    name: 'synapse-dev-${i}'
    target: synapseWorkspaceIds[i]
    group: 'Dev'
    zone: 'privatelink.dev.azuresynapse.net'
  })
)
var zones = union(map(endpoints, e => e.zone), [])

resource dnsZones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in zones: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in zones: {
    parent: dnsZones[i]
    name: '${vnetName}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for e in endpoints: {
    name: '${vnetName}-pe-${e.name}'
    location: location
    tags: tags
    properties: {
      subnet: { id: peSubnetId }
      privateLinkServiceConnections: [
        {
          name: e.name
          properties: { privateLinkServiceId: e.target, groupIds: [e.group] }
        }
      ]
    }
  }
]

resource dnsGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (e, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(e.zone, '.', '-')
          properties: { privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', e.zone) }
        }
      ]
    }
    dependsOn: [dnsZones]
  }
]

output appSubnetId string = '${vnet.id}/subnets/app'
output vnetId string = vnet.id
