#!/usr/bin/env sh
# Link connections are Synapse data-plane artifacts: their RBAC is Synapse RBAC, which ARM/Bicep
# cannot assign. Give the app's identity "Synapse Contributor" on every configured workspace.
set -eu
: "${APP_IDENTITY_PRINCIPAL_ID:?run after azd provision (output APP_IDENTITY_PRINCIPAL_ID)}"
: "${SYNAPSE_WORKSPACES:?set SYNAPSE_WORKSPACES (azd env set SYNAPSE_WORKSPACES ...)}"
for entry in $(echo "$SYNAPSE_WORKSPACES" | tr ',' ' '); do
  workspace="${entry%%=*}"
  echo "Granting Synapse Contributor on $workspace to $APP_IDENTITY_PRINCIPAL_ID"
  az synapse role assignment create --workspace-name "$workspace" --role "Synapse Contributor" \
    --assignee-object-id "$APP_IDENTITY_PRINCIPAL_ID" --assignee-principal-type ServicePrincipal || \
    echo "  (already assigned, or you lack Synapse Administrator on $workspace)"
done
