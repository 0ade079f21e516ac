import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as df from "durable-functions";
import { durableWorkerStatusReader } from "../shared/dashboard/workerStatus";
import { getDependencies } from "../shared/dependencies";
import { listLinks } from "../shared/intake/listLinks";
import { refusalResponse } from "./httpProblems";

/** GET /api/links — every link the app tracks or may touch: service status, worker phase, table counts. */
export async function linksList(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
  const { config, ledger, synapse, workspaces } = getDependencies();
  const result = await listLinks(
    {
      ledger,
      synapse,
      readWorker: durableWorkerStatusReader(client),
      routing: config.intake.routing,
      workspaces,
    },
    { continuationToken: request.query.get("continuationToken") },
    new Date().toISOString(),
  );
  return result.kind === "ok" ? { status: 200, jsonBody: result.body } : refusalResponse(result.refusal);
}

df.app.client.http("linksList", {
  route: "links",
  methods: ["GET"],
  authLevel: "function",
  handler: linksList,
});
