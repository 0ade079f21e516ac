// The ARM part of the simulator's public API.
export { ARM_API_VERSION, ARM_SPEC_DIR, armSpec, type ArmOperationId } from "./armSpec";
export {
  DEFAULT_ARM_TIMINGS,
  demoArmSeed,
  type ArmSeed,
  type ArmSqlPoolSeed,
  type ArmTimings,
} from "./armState";

/** What a test or the demo can do with the simulator's management plane. */
export interface ArmSimHandle {
  /** `/subscriptions/…/workspaces/{name}`: the resource id to configure (SYNAPSE_WORKSPACE_RESOURCE_IDS). */
  readonly workspaceResourceId: string;
  /** Sets a pool's status outright, as an operator in the portal would (cancels a pause or resume in flight). */
  setPoolStatus(pool: string, status: string): void;
  /** The pool's status at the current sim time. */
  poolStatus(pool: string): string;
}
