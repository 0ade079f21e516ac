import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { attachTable, detachTable, type WindowOperation } from "../shared/intake/schemaChangeWindow";
import { refusalResponse } from "./httpProblems";
import { acceptedResponse } from "./httpResponses";
import { onboardingQueueOutput } from "./onboardingQueueOutput";

/** POST /api/links/{workspace}/{linkConnection}/tables/{schema}.{table}/detach|attach — the schema-change window. */
function tableWindow(operation: WindowOperation) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const { appKeys, config, ledger, synapse, workspaces } = getDependencies();
    const useCase = operation === "detach" ? detachTable : attachTable;
    const result = await useCase(
      {
        ledger,
        synapse,
        routing: config.intake.routing,
        workspaces,
        webhookSecrets: config.intake.webhookSecrets,
        acceptanceKey: await appKeys.acceptanceKey(),
      },
      {
        link: {
          workspace: request.params.workspace ?? "",
          linkConnection: request.params.linkConnection ?? "",
        },
        table: request.params.table ?? "",
        origin: new URL(request.url).origin,
        now: new Date(),
        header: (name) => request.headers.get(name) ?? undefined,
        body: Buffer.from(await request.arrayBuffer()),
      },
    );
    if (result.kind === "refused") return refusalResponse(result.refusal);
    context.extraOutputs.set(onboardingQueueOutput, result.message);
    return acceptedResponse(result.requestId, result.statusUrl);
  };
}

for (const operation of ["detach", "attach"] as const) {
  app.http(`${operation}Table`, {
    route: `links/{workspace}/{linkConnection}/tables/{table}/${operation}`,
    methods: ["POST"],
    authLevel: "function",
    extraOutputs: [onboardingQueueOutput],
    handler: tableWindow(operation),
  });
}
