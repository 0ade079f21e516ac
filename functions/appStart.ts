// First: telemetry must hook the Azure SDKs before they load (docs/observability.md).
import "../shared/telemetry/start";
import { app } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { scopedLogger } from "../shared/logger";
import { registerHealthGauges } from "../shared/telemetry/healthGauges";
import { registerTelemetryHooks } from "./invocationLogger";

registerTelemetryHooks();

// Parse the configuration when the worker starts, so a bad setting fails the app with a message
// that names it instead of failing the first request.
app.hook.appStart(() => {
  const { appKeys, ledger, workspaces } = getDependencies();
  registerHealthGauges({ ledger, workspaces, logger: scopedLogger, now: () => new Date() });
  // Loaded now, not by the first request: intake then answers after the enqueue alone. A failure
  // is retried by the first request that needs the key.
  appKeys.acceptanceKey().catch((error: unknown) => {
    scopedLogger.warn(`the acceptance key could not be loaded at start: ${String(error)}`);
  });
});
