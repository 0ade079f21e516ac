import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { dashboardAsset } from "../shared/dashboard/assets";

/**
 * Scripts and styles only from this app (no inline script, no CDN); data only from its own API;
 * no framing; no referrer, so the `?code=` of the page URL never leaves in a Referer header.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /api/dashboard and its assets (dashboard/ at the package root). */
export function dashboard(request: HttpRequest): Promise<HttpResponseInit> {
  const asset = dashboardAsset(request.params.asset ?? "");
  if (!asset) return Promise.resolve({ status: 404, body: "Not found" });
  return Promise.resolve({
    status: 200,
    body: asset.body,
    headers: {
      "Content-Type": asset.contentType,
      "Content-Security-Policy": DASHBOARD_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    },
  });
}

// Anonymous: the page and its scripts hold no data and no key. Every read they make goes to the
// API routes, which take the function key the page URL carries (`?code=`).
app.http("dashboard", {
  route: "dashboard/{*asset}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: dashboard,
});
