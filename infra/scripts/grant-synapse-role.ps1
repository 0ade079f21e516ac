# azd postprovision hook (Windows). Same as grant-synapse-role.sh: grants the app's identity
# "Synapse Contributor" on every workspace of SYNAPSE_WORKSPACES and stops the deployment with the
# error when a grant fails (docs/deploy.md).
$ErrorActionPreference = 'Stop'

function Fail([string]$Message) {
    $principal = if ($env:APP_IDENTITY_PRINCIPAL_ID) { $env:APP_IDENTITY_PRINCIPAL_ID } else { '<APP_IDENTITY_PRINCIPAL_ID>' }
    Write-Error -ErrorAction Continue "ERROR: $Message"
    Write-Host ''
    Write-Host "Grant it by hand (needs Synapse Administrator on the workspace), then run 'azd deploy' again:"
    Write-Host "  az synapse role assignment create --workspace-name <workspace> --role `"Synapse Contributor`" --assignee-object-id $principal --assignee-principal-type ServicePrincipal"
    Write-Host "or in Synapse Studio: Manage > Access control > Add > Synapse Contributor > the app's managed identity."
    exit 1
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) { Fail 'the Azure CLI (az) is not installed; it is needed to assign Synapse RBAC roles.' }
az account show 1>$null 2>$null
if ($LASTEXITCODE -ne 0) { Fail "the Azure CLI is not signed in (run 'az login')." }

if (-not $env:APP_IDENTITY_PRINCIPAL_ID -or -not $env:SYNAPSE_WORKSPACES) {
    foreach ($line in (azd env get-values)) {
        if ($line -match '^([^=]+)="?(.*?)"?$') { Set-Item -Path "env:$($Matches[1])" -Value $Matches[2] }
    }
}
if (-not $env:APP_IDENTITY_PRINCIPAL_ID) { Fail "APP_IDENTITY_PRINCIPAL_ID is not set: run after 'azd provision'." }
if (-not $env:SYNAPSE_WORKSPACES) { Fail 'SYNAPSE_WORKSPACES is not set (azd env set SYNAPSE_WORKSPACES <workspace>).' }

foreach ($entry in ($env:SYNAPSE_WORKSPACES -split ',' | Where-Object { $_.Trim() })) {
    $workspace = ($entry -split '=', 2)[0].Trim()
    Write-Host "Synapse Contributor on $workspace for $env:APP_IDENTITY_PRINCIPAL_ID"
    $existing = az synapse role assignment list --workspace-name $workspace --role 'Synapse Contributor' `
        --assignee-object-id $env:APP_IDENTITY_PRINCIPAL_ID --query 'length(@)' -o tsv 2>&1
    if ($LASTEXITCODE -ne 0) {
        Fail "could not read the role assignments of ${workspace}: $existing (the workspace firewall may block this machine, or you may lack Synapse Administrator on $workspace)"
    }
    if ("$existing".Trim() -ne '0') { Write-Host '  already assigned'; continue }
    $output = az synapse role assignment create --workspace-name $workspace --role 'Synapse Contributor' `
        --assignee-object-id $env:APP_IDENTITY_PRINCIPAL_ID --assignee-principal-type ServicePrincipal 2>&1
    if ($LASTEXITCODE -ne 0) { Fail "could not grant Synapse Contributor on ${workspace}: $output" }
    Write-Host '  granted'
}
