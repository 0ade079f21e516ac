import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { loadConfig, type AppConfig } from "./config";
import { scopedLogger } from "./logger";
import type { Ledger } from "./ledger/ledger";
import { TableStorageLedger } from "./ledger/tableStorageLedger";
import { createOutcomePublisher } from "./outcomes/createOutcomePublisher";
import type { OutcomePublisher } from "./outcomes/outcomePublisher";
import { ArtifactsSynapseLinkClient } from "./synapse/artifactsSynapseLinkClient";
import type { SynapseLinkClient } from "./synapse/synapseLinkClient";
import type { WorkerDeps } from "./worker/workerDeps";

/** The app's adapters, built once per process from the configuration (composition root). */
export interface Dependencies extends WorkerDeps {
  config: AppConfig;
  /** One adapter in every role: intake, workers, breakers, reconcile. */
  ledger: Ledger;
}

/** Test speed only: shorter SDK retry delays against local stand-ins; production passes none. */
export interface DependencyOptions {
  sdkRetry?: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
}

export function createDependencies(config: AppConfig, options: DependencyOptions = {}): Dependencies {
  const retry = options.sdkRetry ? { retryOptions: options.sdkRetry } : {};
  // One credential for storage and Synapse; built only when something authenticates with Entra ID.
  let credential: TokenCredential | undefined;
  const azureCredential = (): TokenCredential => {
    credential ??= new DefaultAzureCredential(
      config.storage.kind === "identity" && config.storage.clientId
        ? { managedIdentityClientId: config.storage.clientId }
        : {},
    );
    return credential;
  };
  const connection = config.storage.kind === "connectionString" ? config.storage.connectionString : undefined;
  const tableClient =
    config.storage.kind === "connectionString"
      ? TableClient.fromConnectionString(config.storage.connectionString, config.ledgerTableName, {
          // Azurite speaks plain http; Azure endpoints are https and unaffected.
          allowInsecureConnection: /http:\/\/|UseDevelopmentStorage=true/i.test(connection ?? ""),
          ...retry,
        })
      : new TableClient(config.storage.tableServiceUri, config.ledgerTableName, azureCredential(), retry);
  const ledger: Ledger = new TableStorageLedger(tableClient);
  const synapse: SynapseLinkClient = new ArtifactsSynapseLinkClient({
    workspaces: config.synapse.workspaces,
    auth: config.synapse.staticToken
      ? { kind: "staticToken", token: config.synapse.staticToken }
      : { kind: "credential", credential: azureCredential() },
    apiVersion: config.synapse.apiVersion,
    ...(options.sdkRetry ? { clientOptions: retry } : {}),
  });
  const outcomes: OutcomePublisher = createOutcomePublisher(config, azureCredential, scopedLogger);
  return {
    config,
    ledger,
    synapse,
    outcomes,
    settings: config.worker,
    workspaces: config.synapse.workspaces.map((w) => w.name),
  };
}

let current: Dependencies | undefined;

/** Parsed on first use, so a bad setting fails the first invocation with a message naming it. */
export function getDependencies(): Dependencies {
  current ??= createDependencies(loadConfig());
  return current;
}

/** For tests: use these dependencies (built from a config object) instead of the environment's. */
export function useDependencies(dependencies: Dependencies): void {
  current = dependencies;
}

/** For tests and the dev host: rebuild from the (changed) environment on next use. */
export function resetDependencies(): void {
  current = undefined;
}
