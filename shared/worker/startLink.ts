import type { LinkRef } from "../domain/linkRef";
import type { WorkerDeps } from "./workerDeps";

/** Starts or resumes the link when AUTO_START_LINKS allowed it (the readiness decision asked for it). */
export async function startLink(
  deps: Pick<WorkerDeps, "synapse">,
  link: LinkRef,
  act: "start" | "resume",
): Promise<{ kind: "requested"; act: "start" | "resume" }> {
  if (act === "start") await deps.synapse.start(link);
  else await deps.synapse.resume(link);
  return { kind: "requested", act };
}
