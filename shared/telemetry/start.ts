import { startAzureMonitor } from "./azureMonitor";

/*
 * Side effect on import: starts telemetry (when Application Insights is configured) before any
 * Azure SDK is loaded. functions/appStart.ts imports this first, and the Node worker loads
 * dist/functions/appStart.js before the other function modules (docs/observability.md).
 */
startAzureMonitor(process.env);
