/**
 * Side-effect module: `import "<path>/dev/durable/installStandIn";` as the FIRST import of a test file (or of a
 * dev host entry point) installs the `@azure/functions-core` stand-in before any module that calls `df.app.*` at
 * import time is loaded. Get the registry afterwards with `installFunctionsCoreStandIn()` (idempotent).
 */
import { installFunctionsCoreStandIn } from "./functionsCoreStandIn";

installFunctionsCoreStandIn();
