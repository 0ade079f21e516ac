// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/*
 * The layering, as a check: triggers (functions/) over use cases and adapters (shared/) over the
 * domain (shared/domain/). shared/ knows no Functions host; the domain knows nothing but itself.
 */
const sharedLayer = [
  {
    group: ["@azure/functions", "@azure/functions/**", "durable-functions", "durable-functions/**"],
    message:
      "shared/ is host-agnostic: take what the trigger knows as plain values or ports (functions/ does the binding).",
  },
  {
    regex: "^(\\.\\./)+(functions|dev)(/|$)",
    message:
      "shared/ must not import the triggers (functions/) or the dev tools (dev/): dependencies point inward.",
  },
];
const outcomesLayer = [
  {
    regex: "^\\.\\./intake(/|$)",
    message:
      "shared/outcomes/ sits below the intake: share contracts through shared/contracts/ or shared/domain/.",
  },
];
const domainLayer = [
  {
    regex: "^\\.\\.(/|$)",
    message: "shared/domain/ imports only shared/domain/.",
  },
  {
    regex: "^(?!node:|uuid$|\\.)",
    message: "shared/domain/ imports only shared/domain/, node built-ins (node:…) and uuid.",
  },
];
/** @param {object[]} patterns */
const layered = (patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

export default tseslint.config(
  { ignores: ["dist/", "dist-bench/", "node_modules/", "coverage/", ".azurite/", "**/*.js", "**/*.mjs"] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: "error",
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-extraneous-class": "off",
    },
  },
  { files: ["shared/**/*.ts"], rules: layered(sharedLayer) },
  { files: ["shared/outcomes/**/*.ts"], rules: layered([...sharedLayer, ...outcomesLayer]) },
  { files: ["shared/domain/**/*.ts"], rules: layered([...sharedLayer, ...domainLayer]) },
  {
    // Tests poke at loosely typed wire payloads; keep the type-aware rules that catch bugs, relax the noisy ones.
    files: ["test/**/*.ts", "dev/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
