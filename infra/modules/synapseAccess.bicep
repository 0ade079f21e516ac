// Deployed into the resource group of one Synapse workspace: management-plane access for the app
// identity. Reader lets the app read the workspace and its SQL pools (issue 11's checks); the
// custom role lets it resume a paused dedicated SQL pool and nothing else (Contributor would be
// far broader). Link connections themselves are Synapse RBAC: see infra/scripts/grant-synapse-role.*.
param workspaceName string
param principalId string
param autoResumeSqlPools bool

var readerRole = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource workspace 'Microsoft.Synapse/workspaces@2021-06-01' existing = {
  name: workspaceName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, readerRole)
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRole)
  }
}

// One definition per resource group, assignable only there; assigned at the workspace, so it
// reaches that workspace's SQL pools only.
resource sqlPoolResume 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (autoResumeSqlPools) {
  name: guid(resourceGroup().id, 'synapse-link-autopilot-sql-pool-resume')
  properties: {
    roleName: 'Synapse Link Autopilot SQL pool resume (${uniqueString(resourceGroup().id)})'
    description: 'Read and resume the dedicated SQL pools of Synapse workspaces (Synapse Link Autopilot, AUTO_RESUME_SQL_POOLS).'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Synapse/workspaces/sqlPools/read'
          'Microsoft.Synapse/workspaces/sqlPools/resume/action'
        ]
        notActions: []
      }
    ]
    assignableScopes: [resourceGroup().id]
  }
}

resource sqlPoolResumeAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (autoResumeSqlPools) {
  name: guid(workspace.id, principalId, 'sql-pool-resume')
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sqlPoolResume.name)
  }
}
