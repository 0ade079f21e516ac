import { readFileSync } from "node:fs";
import { join } from "node:path";
import { invokeHttp, loadFunctions } from "../../support/httpFunctions";

const registry = loadFunctions("dashboard");
const get = (asset?: string) =>
  invokeHttp(registry, "dashboard", {
    method: "GET",
    path: `/api/dashboard${asset ? `/${asset}` : ""}`,
    params: asset === undefined ? {} : { asset },
  });

const dashboardDir = join(__dirname, "../../../dashboard");

describe("dashboard function", () => {
  it.each([
    [undefined, "text/html"],
    ["app.js", "text/javascript"],
    ["app.css", "text/css"],
  ])(
    "serves %s as %s with a CSP that allows no inline script, no eval and no other origin",
    async (asset, type) => {
      const result = await get(asset);
      expect(result.status).toBe(200);
      expect(result.mediaType).toBe(type);
      const csp = result.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/connect-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
      expect(result.headers.get("x-content-type-options")).toBe("nosniff");
      expect(result.headers.get("referrer-policy")).toBe("no-referrer");
    },
  );

  it.each(["../package.json", "..%2Fpackage.json", "index.html.bak", "APP.JS", "constructor", "__proto__"])(
    "answers 404 for %s",
    async (asset) => {
      expect((await get(asset)).status).toBe(404);
    },
  );

  it("has no inline script, no inline handler and nothing from another origin in its page", () => {
    const html = readFileSync(join(dashboardDir, "index.html"), "utf8");
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/api\/dashboard\//);
    expect(html).not.toMatch(/<script\b[^>]*>[^<\s]/);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  it("never hands data to an HTML parser in its script", () => {
    const js = readFileSync(join(dashboardDir, "app.js"), "utf8");
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  });
});
