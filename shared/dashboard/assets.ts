import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The dashboard's files, by the name the page asks for ("" is the page itself). */
const ASSETS: Readonly<Record<string, { file: string; contentType: string }>> = {
  "": { file: "index.html", contentType: "text/html; charset=utf-8" },
  "app.js": { file: "app.js", contentType: "text/javascript; charset=utf-8" },
  "app.css": { file: "app.css", contentType: "text/css; charset=utf-8" },
};

export interface DashboardAsset {
  body: string;
  contentType: string;
}

/**
 * `dashboard/` sits at the package root, beside `dist/` once deployed and beside `functions/` when
 * run from source; this file is one or two levels further down in either case.
 */
function findAssetDir(from: string): string {
  for (let dir = from, i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, "dashboard");
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  throw new Error(
    `dashboard/index.html not found above ${from}: the package must ship the dashboard/ folder`,
  );
}

const cache = new Map<string, DashboardAsset>();

/** A known asset (read once, then served from memory), or undefined for any other name. */
export function dashboardAsset(name: string): DashboardAsset | undefined {
  const known = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!known) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    asset = {
      body: readFileSync(join(findAssetDir(__dirname), known.file), "utf8"),
      contentType: known.contentType,
    };
    cache.set(name, asset);
  }
  return asset;
}
