import { app } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";

// Parse the configuration when the worker starts, so a bad setting fails the app with a message
// that names it instead of failing the first request.
app.hook.appStart(() => {
  getDependencies();
});
