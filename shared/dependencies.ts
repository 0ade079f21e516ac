import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import { loadConfig, type AppConfig } from "./config";
import { scopedLogger } from "./logger";
import type { Ledger } from "./ledger/ledger";
import { TableAppKeyStore, type AppKeyStore } from "./ledger/appKeys";
import { TableStorageLedger } from "./ledger/tableStorageLedger";
import { createOutcomePublisher } from "./outcomes/createOutcomePublisher";
import type { OutcomePublisher } from "./outcomes/outcomePublisher";
import { ArtifactsSynapseLinkClient } from "./synapse/artifactsSynapseLinkClient";
import type { SynapseLinkClient } from "./synapse/synapseLinkClient";
import {
  lazyControlPlane,
  withDevEndpointsFromArm,
  withGitModeWarnings,
  type ControlPlane,
} from "./synapse/controlPlane";
import { observedOutcomePublisher } from "./telemetry/observedOutcomePublisher";
import { openTelemetryPipelineMetrics } from "./telemetry/pipelineMetrics";
import type { WorkerDeps } from "./worker/workerDeps";
import type { PoisonQueue } from "./intake/replayPoisonedMessages";

/** The app's adapters, built once per process from the configuration (composition root). */
export interface Dependencies extends WorkerDeps {
  config: AppConfig;
  /** One adapter in every role: intake, workers, breakers, reconcile. */
  ledger: Ledger;
  /** Keys the app makes for itself (the acceptance-token key), kept in the ledger table. */
  appKeys: AppKeyStore;
  /** The workspace and its SQL pools through ARM; absent when no workspace has a resource id. */
  controlPlane?: ControlPlane;
  /** The onboarding poison queue, built on first use (only the replay timer reads it). */
  poisonQueue(): PoisonQueue;
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
    // Loaded here, not at the top: @azure/identity (with MSAL, ~110 ms of a cold start) is needed only
    // when something authenticates with Entra ID (docs/performance.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load
    const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
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
  let poison: PoisonQueue | undefined;
  // Copies: with ARM, a workspace's endpoint is replaced by its dev endpoint from ARM on first use.
  const endpoints = config.synapse.workspaces.map((w) => ({ ...w }));
  const synapse: SynapseLinkClient = new ArtifactsSynapseLinkClient({
    workspaces: endpoints,
    auth: config.synapse.staticToken
      ? { kind: "staticToken", token: config.synapse.staticToken }
      : { kind: "credential", credential: azureCredential() },
    apiVersion: config.synapse.apiVersion,
    ...(options.sdkRetry ? { clientOptions: retry } : {}),
  });
  // Metrics and one structured line per final outcome (docs/observability.md); no-ops without telemetry.
  const outcomes: OutcomePublisher = observedOutcomePublisher(
    createOutcomePublisher(config, azureCredential, scopedLogger),
    { metrics: openTelemetryPipelineMetrics(), ledger, logger: scopedLogger, now: () => new Date() },
  );
  const arm = config.arm;
  const controlPlane = arm
    ? lazyControlPlane(arm.workspaces, async () => {
        const { ArmSynapseControlPlane } = await import("./synapse/armSynapseControlPlane");
        return new ArmSynapseControlPlane({
          workspaces: arm.workspaces,
          endpoint: arm.endpoint,
          auth: config.synapse.staticToken
            ? { kind: "staticToken", token: config.synapse.staticToken }
            : { kind: "credential", credential: azureCredential() },
          ...(options.sdkRetry ? { retryOptions: options.sdkRetry } : {}),
        });
      })
    : undefined;
  return {
    config,
    ledger,
    appKeys: new TableAppKeyStore(tableClient),
    synapse: controlPlane
      ? withDevEndpointsFromArm(synapse, endpoints, controlPlane, (m) => {
          scopedLogger.warn(m);
        })
      : synapse,
    outcomes:
      controlPlane && arm?.gitModeAcknowledged === false
        ? withGitModeWarnings(outcomes, controlPlane)
        : outcomes,
    ...(controlPlane ? { controlPlane } : {}),
    poisonQueue: () => {
      // Loaded here, not at the top: only the replay timer needs @azure/storage-queue.
      type Module = typeof import("./intake/storagePoisonQueue");
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load
      const load = (): Module => require("./intake/storagePoisonQueue") as Module;
      poison ??= load().storagePoisonQueue(config.storage, azureCredential);
      return poison;
    },
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
