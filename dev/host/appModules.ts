/**
 * Finding and loading the app's function modules, as the Node worker does with package.json "main"
 * (`dist/functions/*.js` here): a small glob, then `require` of every match in name order.
 *
 * Registrations land in the process-wide registry of the `@azure/functions-core` stand-in (`../durable`). Node's
 * (and Jest's) module cache makes a second `require` of the same file a no-op, so a second host in the same
 * process reuses the registrations instead of registering twice; `loadAppModules` also remembers what it loaded.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";

/** The repository root: the nearest directory above `from` (default: this file) that holds a package.json. */
export function findRepoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** package.json "main" of the repository (what the Node worker loads). */
export function packageMainGlob(repoRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { main?: unknown };
  if (typeof pkg.main !== "string" || pkg.main === "") {
    throw new Error(`${join(repoRoot, "package.json")} has no "main" (the app's function modules)`);
  }
  return pkg.main;
}

function segmentRegExp(segment: string): RegExp {
  let source = "";
  for (const ch of segment) {
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Expands a glob with `*`, `?` and `**` (any depth) segments; relative patterns are resolved against `cwd`.
 * Returns absolute file paths, sorted. Dot files are skipped by wildcards.
 */
export function expandGlob(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const normalized = absolute.split(sep).join("/");
  const parts = normalized.split("/");
  const firstWild = parts.findIndex((p) => /[*?]/.test(p));
  if (firstWild === -1) return existsSync(absolute) && !isDirectory(absolute) ? [resolve(absolute)] : [];
  const base = parts.slice(0, firstWild).join("/") || "/";
  const rest = parts.slice(firstWild);
  const results = new Set<string>();

  const walk = (dir: string, index: number): void => {
    const segment = rest[index];
    if (segment === undefined) return;
    const last = index === rest.length - 1;
    if (segment === "**") {
      walk(dir, index + 1); // zero directories
      for (const entry of safeReaddir(dir)) {
        if (!entry.startsWith(".") && isDirectory(join(dir, entry))) walk(join(dir, entry), index);
      }
      return;
    }
    const wild = /[*?]/.test(segment);
    const regexp = segmentRegExp(segment);
    const entries = wild ? safeReaddir(dir).filter((e) => !e.startsWith(".") && regexp.test(e)) : [segment];
    for (const entry of entries) {
      const path = join(dir, entry);
      if (last) {
        if (existsSync(path) && !isDirectory(path)) results.add(resolve(path));
      } else if (isDirectory(path)) {
        walk(path, index + 1);
      }
    }
  };
  walk(base, 0);
  return [...results].sort();
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Files the glob names that are loadable modules (no declaration files or source maps). */
export function appModuleFiles(pattern: string, repoRoot: string): string[] {
  return expandGlob(pattern, repoRoot).filter((f) => /\.(c?js|ts)$/.test(f) && !/\.d\.ts$/.test(f));
}

const loaded = new Set<string>();

/**
 * Requires every module of the glob (once per process / Jest module registry). The stand-in must be installed
 * first. Returns the files; throws when nothing matches or a module fails to load.
 */
export function loadAppModules(pattern: string, repoRoot: string): string[] {
  const files = appModuleFiles(pattern, repoRoot);
  if (files.length === 0) {
    throw new Error(
      `no function modules match '${pattern}' (from ${repoRoot}): run \`npm run build\` for dist/, ` +
        "or point DEV_HOST_APP_GLOB / appGlob at the TypeScript sources (functions/*.ts) under ts-node",
    );
  }
  for (const file of files) {
    if (loaded.has(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading modules by path is the point
      require(file);
    } catch (error) {
      throw new Error(
        `loading ${file} failed: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? { cause: error } : undefined,
      );
    }
    loaded.add(file);
  }
  return files;
}
