// The ARM side of the simulator: one workspace resource and its dedicated SQL pools, with pause and resume as
// long-running operations that finish on the simulator clock. Bodies are the wire shape (fields under
// `properties`), as the spec defines them; SDK models are flattened from it.

export const ARM_TYPES = {
  workspace: "Microsoft.Synapse/workspaces",
  sqlPool: "Microsoft.Synapse/workspaces/sqlPools",
} as const;

export interface ArmSqlPoolSeed {
  name: string;
  /** Default "Online". Any string is allowed (the spec types `status` as a plain string). */
  status?: string;
  sku?: string;
}

export interface ArmGitSeed {
  type: string;
  accountName?: string;
  repositoryName: string;
  collaborationBranch: string;
  rootFolder?: string;
}

export interface ArmSeed {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location?: string;
  /** `properties.connectivityEndpoints.dev`; default: the simulator's own URL (the data plane it serves). */
  devEndpoint?: string;
  /** Present = the workspace is connected to git (`workspaceRepositoryConfiguration`). */
  git?: ArmGitSeed;
  sqlPools: ArmSqlPoolSeed[];
}

/** Milliseconds of sim-clock time a pause or resume takes. */
export interface ArmTimings {
  poolTransitionMs: number;
}

export const DEFAULT_ARM_TIMINGS: ArmTimings = { poolTransitionMs: 60_000 };

type Json = Record<string, unknown>;

interface PoolRecord {
  name: string;
  status: string;
  sku: string;
  createdAt: string;
  /** A pause or resume in flight: the status it ends in, and when. */
  transition?: { to: "Online" | "Paused"; endsAt: number; operationId: string };
}

interface OperationRecord {
  id: string;
  pool: string;
  action: "pause" | "resume";
  endsAt: number;
}

export type LroStart =
  /** The pool already is where the action leads (or gets there at once): 200 with the pool. */
  | { kind: "done"; body: Json }
  /** Accepted: 202, then poll `operationResults/{operationId}`. */
  | { kind: "accepted"; operationId: string }
  | { kind: "conflict"; message: string };

export class ArmState {
  private seed!: ArmSeed;
  private pools = new Map<string, PoolRecord>();
  private operations = new Map<string, OperationRecord>();
  private counter = 0;

  constructor(
    private readonly now: () => number,
    private readonly timings: ArmTimings,
    private readonly selfUrl: () => string,
  ) {}

  load(seed: ArmSeed): void {
    this.seed = structuredClone(seed);
    this.pools = new Map(
      seed.sqlPools.map((p) => [
        p.name.toLowerCase(),
        {
          name: p.name,
          status: p.status ?? "Online",
          sku: p.sku ?? "DW100c",
          createdAt: new Date(this.now()).toISOString(),
        },
      ]),
    );
    this.operations.clear();
  }

  /** Whether the path's subscription, resource group and workspace name this workspace (ARM names are case-insensitive). */
  isWorkspace(subscriptionId: string, resourceGroup: string, workspace: string): boolean {
    return (
      subscriptionId.toLowerCase() === this.seed.subscriptionId.toLowerCase() &&
      resourceGroup.toLowerCase() === this.seed.resourceGroup.toLowerCase() &&
      workspace.toLowerCase() === this.seed.workspace.toLowerCase()
    );
  }

  get workspaceId(): string {
    const s = this.seed;
    return `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Synapse/workspaces/${s.workspace}`;
  }

  workspace(): Json {
    const s = this.seed;
    const host = new URL(this.selfUrl()).host;
    return {
      id: this.workspaceId,
      name: s.workspace,
      type: ARM_TYPES.workspace,
      location: s.location ?? "westeurope",
      identity: {
        type: "SystemAssigned",
        principalId: "7c0a8f4e-3b1d-4c55-9a2e-6f1b8d3c2a10",
        tenantId: "3f1e2d4c-5b6a-4789-8c0d-1e2f3a4b5c6d",
      },
      properties: {
        provisioningState: "Succeeded",
        // The spec's examples carry host names without a scheme; the app adds https:// when it is missing.
        connectivityEndpoints: { dev: s.devEndpoint ?? this.selfUrl(), sql: `${host}.sql.invalid` },
        managedResourceGroupName: `${s.resourceGroup}-managed`,
        ...(s.git ? { workspaceRepositoryConfiguration: { ...s.git } } : {}),
      },
    };
  }

  hasPool(name: string): boolean {
    return this.pools.has(name.toLowerCase());
  }

  pool(name: string): Json {
    return this.poolBody(this.settled(name));
  }

  listPools(): Json[] {
    return [...this.pools.keys()].map((key) => this.poolBody(this.settled(key)));
  }

  /** Starts a pause or resume; the pool's status moves at once to Pausing/Resuming and ends on the clock. */
  begin(name: string, action: "pause" | "resume"): LroStart {
    const pool = this.settled(name);
    const from = action === "resume" ? "Paused" : "Online";
    const to = action === "resume" ? "Online" : "Paused";
    const during = action === "resume" ? "Resuming" : "Pausing";
    if (pool.status.toLowerCase() === to.toLowerCase()) return { kind: "done", body: this.poolBody(pool) };
    // A resume of a pool already Resuming (or a pause of one Pausing) is refused like any other state
    // but `from`: no evidence says the service joins the operation in flight, and a 409 is harsher.
    if (pool.status.toLowerCase() !== from.toLowerCase()) {
      return {
        kind: "conflict",
        message: `The SQL pool '${pool.name}' is ${pool.status}; it can only be ${action}d when it is ${from}.`,
      };
    }
    const operationId = `${action}-${++this.counter}-${pool.name.toLowerCase()}`;
    const endsAt = this.now() + this.timings.poolTransitionMs;
    pool.status = during;
    pool.transition = { to, endsAt, operationId };
    this.operations.set(operationId, { id: operationId, pool: pool.name, action, endsAt });
    return { kind: "accepted", operationId };
  }

  /** `operationResults/{id}`: undefined for an unknown id, else whether it ended and the pool as it is. */
  operationResult(name: string, operationId: string): { done: boolean; body: Json } | undefined {
    const op = this.operations.get(operationId);
    if (!op || op.pool.toLowerCase() !== name.toLowerCase()) return undefined;
    const pool = this.settled(name);
    return { done: this.now() >= op.endsAt, body: this.poolBody(pool) };
  }

  /** Control endpoint: set a pool's status outright (cancels a transition in flight). */
  setStatus(name: string, status: string): Json {
    const pool = this.settled(name);
    pool.status = status;
    delete pool.transition;
    return this.poolBody(pool);
  }

  describe(): Json {
    return {
      workspace: this.workspaceId,
      git: this.seed.git ?? null,
      sqlPools: [...this.pools.keys()].map((key) => {
        const pool = this.settled(key);
        return {
          name: pool.name,
          status: pool.status,
          ...(pool.transition
            ? { transitionTo: pool.transition.to, endsAt: new Date(pool.transition.endsAt).toISOString() }
            : {}),
        };
      }),
    };
  }

  /** The pool with any transition whose time has come applied. */
  private settled(name: string): PoolRecord {
    const pool = this.pools.get(name.toLowerCase());
    if (!pool) throw new Error(`no SQL pool ${name}`);
    if (pool.transition && this.now() >= pool.transition.endsAt) {
      pool.status = pool.transition.to;
      delete pool.transition;
    }
    return pool;
  }

  private poolBody(pool: PoolRecord): Json {
    return {
      id: `${this.workspaceId}/sqlPools/${pool.name}`,
      name: pool.name,
      type: ARM_TYPES.sqlPool,
      location: this.seed.location ?? "westeurope",
      sku: { name: pool.sku, tier: "DataWarehouse", capacity: 0 },
      properties: {
        status: pool.status,
        provisioningState: "Succeeded",
        collation: "SQL_Latin1_General_CP1_CI_AS",
        maxSizeBytes: 263882790666240,
        creationDate: pool.createdAt,
        storageAccountType: "GRS",
      },
    };
  }
}

/** The demo's ARM state: workspace `demo`, pool `demopool` Online (behind demo-link), `pausedpool` Paused. */
export function demoArmSeed(): ArmSeed {
  return {
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "demo-rg",
    workspace: "demo",
    sqlPools: [
      { name: "demopool", status: "Online" },
      { name: "pausedpool", status: "Paused" },
    ],
  };
}
