/**
 * Starts the Azure Monitor OpenTelemetry distro when Application Insights is configured
 * (docs/observability.md "Why the distro"). It must run before the Azure SDKs are loaded: its
 * Azure SDK instrumentation hooks the loading of `@azure/core-tracing`, which is how every
 * Synapse, ARM, Table, Queue and Event Grid call becomes a dependency with its duration and result.
 * The distro is required lazily, so an app without a connection string (local runs, tests) never
 * loads it and its cold start does not pay for it.
 *
 * It reads its settings straight from the environment, not from `shared/config.ts`: it has to run
 * before anything else is loaded, and the distro itself reads the same variables.
 */
import type { TokenCredential } from "@azure/core-auth";

export interface TelemetrySettings {
  connectionString: string;
  /** The user-assigned identity the exporter signs in with (Application Insights has local auth off). */
  clientId?: string;
}

/** `undefined` when Application Insights is not configured: telemetry stays off. */
export function telemetrySettings(env: NodeJS.ProcessEnv): TelemetrySettings | undefined {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return undefined;
  // The host's own setting names the identity: `ClientId=<id>;Authorization=AAD`.
  const fromAuth = /(?:^|;)\s*ClientId=([^;]+)/i.exec(
    env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? "",
  )?.[1];
  const clientId = fromAuth?.trim() ?? env.AZURE_CLIENT_ID?.trim();
  return { connectionString, ...(clientId ? { clientId } : {}) };
}

let started = false;

/** Idempotent; returns whether telemetry is on. */
export function startAzureMonitor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (started) return true;
  const settings = telemetrySettings(env);
  if (settings === undefined) return false;
  type Distro = typeof import("@azure/monitor-opentelemetry");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when telemetry is on (cold start)
  const { useAzureMonitor } = require("@azure/monitor-opentelemetry") as Distro;
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      // Entra ID sign-in: the Application Insights resource refuses instrumentation-key-only ingestion.
      credential: lazyManagedIdentity(settings.clientId),
    },
    instrumentationOptions: {
      // The Azure SDKs' own spans: operation name, duration, status code and x-ms-request-id.
      azureSdk: { enabled: true },
      http: { enabled: true },
    },
    enableLiveMetrics: true,
  });
  started = true;
  return true;
}

/**
 * `@azure/identity` loads `@azure/core-tracing`; requiring it before `useAzureMonitor` has hooked
 * that module would leave every Azure SDK call untraced. So the credential loads it on first use.
 */
function lazyManagedIdentity(clientId: string | undefined): TokenCredential {
  let credential: TokenCredential | undefined;
  return {
    getToken: (scopes, options) => {
      if (credential === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: after the hook is in place
        const { ManagedIdentityCredential } = require("@azure/identity") as typeof import("@azure/identity");
        credential = new ManagedIdentityCredential(clientId ? { clientId } : {});
      }
      return credential.getToken(scopes, options);
    },
  };
}
