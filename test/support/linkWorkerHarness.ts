import { TableClient } from "@azure/data-tables";
import { installFunctionsCoreStandIn, ReplayDriver, type ReplayDriverOptions } from "../../dev/durable";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import {
  demoSeed,
  startSynapseSim,
  type ArmSeed,
  type ArmSimHandle,
  type ArmTimings,
  type SimProfile,
  type SimSeed,
  type SimTimings,
  type SynapseSim,
} from "../../dev/synapse-sim";
import type { WorkerSettings } from "../../shared/config";
import { DEFAULT_WORKER_SETTINGS, loadConfig } from "../../shared/config";
import { createDependencies, getDependencies, useDependencies } from "../../shared/dependencies";
import { acceptOnboardingRequest } from "../../shared/intake/acceptOnboardingRequest";
import type { LinkRef } from "../../shared/domain/linkRef";
import { resolveTarget } from "../../shared/domain/tableTarget";
import type { Action } from "../../shared/domain/tableStatus";
import type { RequestView } from "../../shared/ledger/ledger";
import type { SettledTable } from "../../shared/outcomes/outcomePublisher";
import { addsPerTable } from "./simAdds";
import {
  LINK_WORKER_ORCHESTRATION,
  type WorkerInstances,
  type WorkerScheduler,
} from "../../shared/worker/ensureLinkWorker";
import { reconcileOpenLinks, type ReconcileResult } from "../../shared/worker/reconcileOpenLinks";

// The stand-in must capture registrations before durable-functions touches @azure/functions.
const registry = installFunctionsCoreStandIn();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the stand-in is installed
require("../../functions/linkWorker");

/** Invocations of each link-worker activity in the current test (the harness wraps the registered callbacks). */
const activityCalls = new Map<string, number>();
for (const [name, fn] of registry) {
  if (!name.startsWith("linkWorker_")) continue;
  const callback = fn.callback;
  fn.callback = (trigger, context) => {
    activityCalls.set(name, (activityCalls.get(name) ?? 0) + 1);
    return callback(trigger, context);
  };
}

const SIM_TOKEN = "integration-test-token";
let tableCounter = 0;

export interface HarnessOptions extends HarnessExtras {
  seed: SimSeed;
  settings?: Partial<WorkerSettings>;
  timings?: Partial<SimTimings>;
  workspace?: string;
}

export interface HarnessExtras {
  /** The simulator's answer to each open question about the real service (default: the recordings'). */
  profile?: SimProfile;
  /** Replay-driver options on top of the harness's (carry-over on, payloads over 64 KB fail the instance). */
  driver?: Partial<Omit<ReplayDriverOptions, "registry">>;
  /**
   * Turns the control plane on: the simulator's ARM workspace (default demoArmSeed(): workspace
   * `demo`, pools `demopool` Online and `pausedpool` Paused) is named by its resource id, ARM_ENDPOINT
   * is the simulator, and `sqlPools` is SYNAPSE_SQL_POOLS.
   */
  controlPlane?: {
    arm?: ArmSeed;
    armTimings?: Partial<ArmTimings>;
    sqlPools?: string;
    gitModeAcknowledged?: boolean;
  };
}

/** The worker's whole real stack: Azurite ledger, simulator over HTTP, real SDK, real orchestrator via the replay driver. */
export class LinkWorkerHarness {
  private requestCounter = 0;

  private constructor(
    readonly driver: ReplayDriver,
    readonly sim: SynapseSim & { arm: ArmSimHandle },
    readonly workspace: string,
    readonly ledgerTable: TableClient,
  ) {}

  static async start(storageConnectionString: string, options: HarnessOptions): Promise<LinkWorkerHarness> {
    const workspace = options.workspace ?? "demo";
    activityCalls.clear();
    const driver = new ReplayDriver({
      registry,
      startTime: new Date("2026-01-05T08:00:00Z"),
      failOnLargePayloads: true,
      ...options.driver,
    });
    // The simulator runs on the driver's virtual clock: table progress and durable timers agree.
    const sim = await startSynapseSim({
      seed: options.seed,
      token: SIM_TOKEN,
      clock: () => driver.now,
      ...(options.timings ? { timings: options.timings } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.controlPlane?.arm ? { arm: options.controlPlane.arm } : {}),
      ...(options.controlPlane?.armTimings ? { armTimings: options.controlPlane.armTimings } : {}),
    });
    const control = options.controlPlane;
    const ledgerTableName = `ledger${process.pid}x${++tableCounter}`;
    const config = loadConfig({
      AzureWebJobsStorage: storageConnectionString,
      LEDGER_TABLE_NAME: ledgerTableName,
      SYNAPSE_WORKSPACES: `${workspace}=${sim.url}`,
      SYNAPSE_STATIC_TOKEN: SIM_TOKEN,
      ...(control
        ? {
            SYNAPSE_WORKSPACE_RESOURCE_IDS: sim.arm.workspaceResourceId,
            ARM_ENDPOINT: sim.url,
            ...(control.sqlPools ? { SYNAPSE_SQL_POOLS: control.sqlPools } : {}),
            ...(control.gitModeAcknowledged ? { GIT_MODE_ACKNOWLEDGED: "true" } : {}),
          }
        : {}),
    });
    // The SDKs' own retries keep their shape but wait milliseconds: faults are measured on the virtual clock.
    useDependencies(
      createDependencies(
        {
          ...config,
          worker: {
            ...DEFAULT_WORKER_SETTINGS,
            checkSqlPools: config.worker.checkSqlPools,
            ...options.settings,
          },
        },
        { sdkRetry: { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 100 } },
      ),
    );
    const ledgerTable = TableClient.fromConnectionString(storageConnectionString, ledgerTableName, {
      allowInsecureConnection: true,
    });
    return new LinkWorkerHarness(driver, sim, workspace, ledgerTable);
  }

  /**
   * From now on, the tables the worker reports settled (table.replicating / table.failed), in order,
   * instead of publishing them (the harness configures no Event Grid topic).
   */
  recordTableOutcomes(): SettledTable[] {
    const settled: SettledTable[] = [];
    getDependencies().outcomes = {
      tableReplicating: (o) => Promise.resolve(void settled.push({ ...o, status: "Replicating" })),
      tableFailed: (o) => Promise.resolve(void settled.push({ ...o, status: "Failed" })),
      tablesSettled: (outcomes) => Promise.resolve(void settled.push(...outcomes)),
      requestCompleted: () => Promise.resolve(),
    };
    return settled;
  }

  get settings(): WorkerSettings {
    return getDependencies().settings;
  }

  link(linkConnection = "demo-link"): LinkRef {
    return { workspace: this.workspace, linkConnection };
  }

  /** The durable client as the queue handler will use it, backed by the replay driver. */
  readonly scheduler: WorkerScheduler & WorkerInstances = {
    getRuntimeStatus: (instanceId) => Promise.resolve(this.driver.getStatus(instanceId)?.runtimeStatus),
    getInstance: (instanceId) => {
      const status = this.driver.getStatus(instanceId);
      return Promise.resolve(
        status && { runtimeStatus: status.runtimeStatus, lastUpdatedTime: status.lastUpdatedTime },
      );
    },
    start: async (instanceId, input) => {
      await this.driver.startNew(LINK_WORKER_ORCHESTRATION, { instanceId, input });
    },
    raiseEvent: (instanceId, eventName, data) => {
      this.driver.raiseEvent(instanceId, eventName, data);
      return Promise.resolve();
    },
  };

  /** How often each link-worker activity ran in this test, e.g. `{ linkWorker_claimPendingRequests: 3 }`. */
  activityCalls(): Record<string, number> {
    return Object.fromEntries(activityCalls);
  }

  /** Deletes a link connection over the simulator's data plane, as Studio or the CLI would. */
  async deleteLink(linkConnection = "demo-link"): Promise<void> {
    const res = await fetch(
      `${this.sim.url}/linkconnections/${encodeURIComponent(linkConnection)}?api-version=2023-04-18-preview`,
      { method: "DELETE", headers: { authorization: `Bearer ${SIM_TOKEN}` } },
    );
    if (res.status !== 200) throw new Error(`deleting ${linkConnection}: HTTP ${res.status}`);
  }

  /** One run of the reconcile timer's use case against this harness's driver. */
  reconcile(): Promise<ReconcileResult> {
    const deps = getDependencies();
    return reconcileOpenLinks({
      ledger: deps.ledger,
      scheduler: this.scheduler,
      settings: deps.settings,
      now: new Date(this.driver.now).toISOString(),
    });
  }

  /** Records a request (as the queue handler will) and starts or nudges the link's worker. */
  async submit(
    tables: string[],
    options: { action?: Action; linkConnection?: string; requestId?: string } = {},
  ): Promise<string> {
    const requestId = options.requestId ?? `req-${++this.requestCounter}`;
    const link = this.link(options.linkConnection);
    const deps = getDependencies();
    await acceptOnboardingRequest(
      { ledger: deps.ledger, scheduler: this.scheduler, settings: deps.settings },
      {
        ...link,
        requestId,
        action: options.action ?? "add",
        tables: tables.map((qualified) => {
          const [schema = "", name = ""] = qualified.split(".");
          const source = { schema, name };
          return { source, target: resolveTarget(source, undefined) };
        }),
        origin: { kind: "http", id: requestId },
        receivedAt: new Date(this.driver.now).toISOString(),
      },
      new Date(this.driver.now).toISOString(),
    );
    return requestId;
  }

  async request(requestId: string): Promise<RequestView> {
    const view = await getDependencies().ledger.getRequest(requestId);
    if (!view) throw new Error(`request ${requestId} not in the ledger`);
    return view;
  }

  tableStatuses(view: RequestView): Record<string, string> {
    return Object.fromEntries(view.tables.map((t) => [`${t.schema}.${t.name}`, t.status]));
  }

  editCalls(linkConnection = "demo-link") {
    return this.sim.callsTo("LinkConnection_EditTables", linkConnection).filter((c) => c.status === 200);
  }

  /** Tables the simulator was asked to add, per qualified name (every accepted add counts). */
  addsPerTable(linkConnection = "demo-link"): Record<string, number> {
    return addsPerTable(this.sim, linkConnection);
  }

  async stop(): Promise<void> {
    await this.sim.close();
    await this.ledgerTable.deleteTable().catch(() => undefined);
  }
}

/**
 * Registers jest hooks for a test file: one Azurite for the file, a fresh harness per test (stopped
 * after it). Returns the function a test calls to get its harness.
 */
export function useLinkWorkerHarness(
  fileExtras: HarnessExtras = {},
): (
  seed?: SimSeed,
  settings?: Partial<WorkerSettings>,
  timings?: Partial<SimTimings>,
  extras?: HarnessExtras,
) => Promise<LinkWorkerHarness> {
  let azurite: RunningAzurite | undefined;
  let harness: LinkWorkerHarness | undefined;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  return async (seed = demoSeed(), settings = {}, timings, extras = {}) => {
    if (!azurite)
      throw new Error("useLinkWorkerHarness: Azurite is not running (call it at the top of the file)");
    harness = await LinkWorkerHarness.start(azurite.connectionString, {
      seed,
      settings,
      ...(timings ? { timings } : {}),
      ...fileExtras,
      ...extras,
      driver: { ...fileExtras.driver, ...extras.driver },
    });
    return harness;
  };
}
