// The control endpoint under /_sim/ (no auth): inspect state and calls, inject faults, reset, move the clock.
import { ControlInputError, parseClockChange, parseFault, parseSeed } from "./controlSchemas";
import type { FaultInjector } from "./faults";
import type { LinkState } from "./linkState";
import type { SimCall, SimSeed } from "./publicTypes";
import { formatSimProfile, type SimProfile } from "./simProfile";
import type { SimClock } from "./simClock";

export interface ControlDeps {
  state: LinkState;
  faults: FaultInjector;
  clock: SimClock;
  calls: SimCall[];
  profile: SimProfile;
  /** Replaces state and clears calls / faults; no seed = the seed the simulator started with. */
  reset(seed?: SimSeed): void;
}

export interface ControlResponse {
  status: number;
  body?: unknown;
}

export const CONTROL_PREFIX = "/_sim/";

export function handleControl(
  method: string,
  path: string,
  body: unknown,
  deps: ControlDeps,
): ControlResponse {
  const route = `${method} ${path.replace(/\/+$/, "")}`;
  try {
    switch (route) {
      case "GET /_sim/state":
        return {
          status: 200,
          body: {
            // Every answer, plus the SIM_PROFILE text that selects this profile ("" = the default).
            profile: { ...deps.profile, text: formatSimProfile(deps.profile) },
            ...deps.state.describe(),
            timeScale: deps.clock.timeScale ?? null,
            faults: deps.faults.describe(),
          },
        };
      case "GET /_sim/calls":
        return { status: 200, body: deps.calls };
      case "POST /_sim/faults":
        deps.faults.add(parseFault(body));
        return { status: 201, body: { faults: deps.faults.describe() } };
      case "DELETE /_sim/faults":
        deps.faults.clear();
        return { status: 200, body: { faults: [] } };
      case "POST /_sim/reset":
        deps.reset(body === undefined ? undefined : parseSeed(body));
        return { status: 200, body: deps.state.describe() };
      case "POST /_sim/clock": {
        const change = parseClockChange(body ?? {});
        if (change.timeScale !== undefined) deps.clock.setTimeScale(change.timeScale);
        if (change.advanceMs !== undefined) deps.clock.advance(change.advanceMs);
        return {
          status: 200,
          body: { now: new Date(deps.clock.now()).toISOString(), timeScale: deps.clock.timeScale ?? null },
        };
      }
      default:
        return {
          status: 404,
          body: {
            error: {
              code: "NotFound",
              message: `No control route ${route}. Routes: GET /_sim/state, GET /_sim/calls, POST|DELETE /_sim/faults, POST /_sim/reset, POST /_sim/clock.`,
            },
          },
        };
    }
  } catch (e) {
    if (e instanceof ControlInputError || e instanceof Error) {
      return { status: 400, body: { error: { code: "InvalidControlRequest", message: e.message } } };
    }
    throw e;
  }
}
