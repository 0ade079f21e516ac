import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { getLinkStatus } from "../shared/intake/linkStatus";
import { durableClientScheduler } from "../shared/worker/durableClientScheduler";
import { refusalResponse } from "./httpProblems";

/** GET /api/links/{workspace}/{linkConnection} — link status, its worker, every table the app tracks. */
export async function linkStatus(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
  const { config, ledger, synapse, workspaces } = getDependencies();
  const result = await getLinkStatus(
    {
      ledger,
      synapse,
      scheduler: durableClientScheduler(client),
      routing: config.intake.routing,
      workspaces,
    },
    { workspace: request.params.workspace ?? "", linkConnection: request.params.linkConnection ?? "" },
    new Date().toISOString(),
  );
  return result.kind === "ok" ? { status: 200, jsonBody: result.body } : refusalResponse(result.refusal);
}

df.app.client.http("linkStatus", {
  route: "links/{workspace}/{linkConnection}",
  methods: ["GET"],
  authLevel: "function",
  handler: linkStatus,
});
