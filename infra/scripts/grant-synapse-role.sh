#!/usr/bin/env sh
# azd postprovision hook. Link connections are Synapse data-plane artifacts: their permissions are
# Synapse RBAC, which ARM/Bicep cannot assign. This grants the app's identity "Synapse Contributor"
# on every workspace of SYNAPSE_WORKSPACES, and STOPS the deployment when a grant fails: an app
# without it deploys "green" and then gets 403 on every Synapse call (docs/deploy.md).
set -eu

fail() {
  echo "ERROR: $1" >&2
  echo "" >&2
  echo "Grant it by hand (needs Synapse Administrator on the workspace), then run 'azd deploy' again:" >&2
  echo "  az synapse role assignment create --workspace-name <workspace> --role \"Synapse Contributor\" \\" >&2
  echo "    --assignee-object-id ${APP_IDENTITY_PRINCIPAL_ID:-<APP_IDENTITY_PRINCIPAL_ID>} --assignee-principal-type ServicePrincipal" >&2
  echo "or in Synapse Studio: Manage > Access control > Add > Synapse Contributor > the app's managed identity." >&2
  exit 1
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is not installed; it is needed to assign Synapse RBAC roles."
az account show >/dev/null 2>&1 || fail "the Azure CLI is not signed in (run 'az login')."

# azd runs hooks with the environment's values loaded; read them again in case they were not exported.
if [ -z "${APP_IDENTITY_PRINCIPAL_ID:-}" ] || [ -z "${SYNAPSE_WORKSPACES:-}" ]; then
  eval "$(azd env get-values 2>/dev/null || true)"
fi
[ -n "${APP_IDENTITY_PRINCIPAL_ID:-}" ] || fail "APP_IDENTITY_PRINCIPAL_ID is not set: run after 'azd provision'."
[ -n "${SYNAPSE_WORKSPACES:-}" ] || fail "SYNAPSE_WORKSPACES is not set (azd env set SYNAPSE_WORKSPACES <workspace>)."

for entry in $(echo "$SYNAPSE_WORKSPACES" | tr ',' ' '); do
  workspace="${entry%%=*}"
  echo "Synapse Contributor on $workspace for $APP_IDENTITY_PRINCIPAL_ID"
  existing=$(az synapse role assignment list --workspace-name "$workspace" --role "Synapse Contributor" \
    --assignee-object-id "$APP_IDENTITY_PRINCIPAL_ID" --query "length(@)" -o tsv 2>&1) ||
    fail "could not read the role assignments of $workspace: $existing
(the workspace firewall may block this machine, or you may lack Synapse Administrator on $workspace)"
  if [ "$existing" != "0" ]; then
    echo "  already assigned"
    continue
  fi
  output=$(az synapse role assignment create --workspace-name "$workspace" --role "Synapse Contributor" \
    --assignee-object-id "$APP_IDENTITY_PRINCIPAL_ID" --assignee-principal-type ServicePrincipal 2>&1) ||
    fail "could not grant Synapse Contributor on $workspace: $output"
  echo "  granted"
done
