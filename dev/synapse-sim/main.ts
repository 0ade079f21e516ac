// `npm run sim`: the simulator with the demo seed on http://127.0.0.1:7072 (the app's workspace endpoint in local
// mode). Environment: SIM_PORT (default 7072), SIM_TIME_SCALE (default 1), SIM_TOKEN (default: any bearer token),
// SIM_PROFILE (e.g. "ids:undashed,enabledOnce:failedStatus"; default: the recorded service, see README.md).
import { demoSeed, formatSimProfile, parseSimProfile, startSynapseSim } from "./index";

function numberFromEnv(name: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!valid(value)) throw new Error(`${name}=${raw} is not valid`);
  return value;
}

async function main(): Promise<void> {
  const port = numberFromEnv("SIM_PORT", 7072, (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
  const timeScale = numberFromEnv("SIM_TIME_SCALE", 1, (n) => n > 0);
  const token = process.env.SIM_TOKEN?.trim() ? process.env.SIM_TOKEN.trim() : undefined;
  // An unknown key or value stops the start with a message naming it (SimProfileError).
  const profile = parseSimProfile(process.env.SIM_PROFILE ?? "");
  const sim = await startSynapseSim({
    port,
    host: "127.0.0.1",
    seed: demoSeed(),
    timeScale,
    profile,
    ...(token === undefined ? {} : { token }),
  });
  const profileText = formatSimProfile(profile);
  console.log(
    `Synapse link simulator listening on ${sim.url} (time scale ${timeScale}${token ? ", token required" : ""}, ` +
      `profile ${profileText === "" ? "default" : profileText})`,
  );
  console.log(`  state: ${sim.url}/_sim/state   links: demo-link, other-link`);

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing the simulator`);
    sim.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => {
    shutdown("SIGINT");
  });
  process.once("SIGTERM", () => {
    shutdown("SIGTERM");
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
