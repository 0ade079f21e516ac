// Bundles the function app with esbuild into one CommonJS file for deployment (docs/performance.md):
//
//   node scripts/bundle.mjs                       → dist/bundle/index.js (+ host.json, package.json): every
//                                                   functions/*.ts, as the Functions host loads them
//   node scripts/bundle.mjs --entry functions/onboardingHttp.ts --out <dir>
//                                                 → <dir>/index.js: one function only (bench/coldStart.ts)
//
// The bundle resolves every module once at build time, so the host's cold start does not walk ~1,000 files of
// node_modules. `@azure/functions-core` stays external: the Node.js language worker provides it at run time.
// Modules the app loads on demand (`require` inside a function: the Synapse SDK, Event Grid, identity) are
// still evaluated only when first used. `npm start` and the tests keep running from TypeScript (dist/, ts-node).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function option(name) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const entry = option("--entry");
const outDir = resolve(ROOT, option("--out") ?? "dist/bundle");
const entries = entry
  ? [resolve(ROOT, entry)]
  : readdirSync(join(ROOT, "functions"))
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => join(ROOT, "functions", f));

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const started = performance.now();
const result = await build({
  stdin: {
    // One module that loads each function file in turn: each registers its triggers with `app`.
    contents: entries.map((f) => `require(${JSON.stringify("./" + relative(ROOT, f))});`).join("\n"),
    resolveDir: ROOT,
    sourcefile: "functions-entry.js",
    loader: "js",
  },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: join(outDir, "index.js"),
  external: ["@azure/functions-core"],
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
  tsconfig: join(ROOT, "tsconfig.build.json"),
});
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + (o.bytes ?? 0), 0);

if (!entry) {
  // A deployable folder: the host reads host.json and package.json's "main" from the app's root.
  copyFileSync(join(ROOT, "host.json"), join(outDir, "host.json"));
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  writeFileSync(
    join(outDir, "package.json"),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, main: "index.js", engines: pkg.engines }, null, 2)}\n`,
  );
}
console.log(
  `bundled ${entries.length} entry file(s), ${inputs} modules → ${relative(ROOT, join(outDir, "index.js"))} ` +
    `(${Math.round(bytes / 1024)} KiB with the source map) in ${Math.round(performance.now() - started)} ms`,
);
