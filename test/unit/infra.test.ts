import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/*
 * No Bicep compiler can be installed here (docs/deploy.md "What has been deployed"), so this reads
 * infra/*.bicep as text and checks what would otherwise only fail in Azure: app settings the app
 * needs, built-in role ids, documented parameters and environment values, tags, runtime version.
 * Each checker is a plain function, and each is also run on a broken sample to prove it can fail.
 */

const root = join(__dirname, "../..");
const read = (path: string): string => readFileSync(join(root, path), "utf8");

function bicepFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".bicep")) files.set(path, read(path));
    }
  };
  walk("infra");
  return files;
}

/** Built-in Azure role definitions (id → name), from the Azure built-in roles reference. */
const KNOWN_BUILT_IN_ROLES: Record<string, string> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
  "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "d5a91429-5739-47e2-a06b-3470a27159e7": "EventGrid Data Sender",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
};

// ------------------------------------------------------------------ app settings

/** Names set on the function app: the keys between the `app settings` markers of main.bicep. */
export function appSettingNames(bicep: string): string[] {
  const block = /\/\/ app settings: begin([\s\S]*?)\/\/ app settings: end/.exec(bicep)?.[1];
  if (block === undefined) throw new Error("main.bicep has no `// app settings: begin … end` block");
  return [...block.matchAll(/(?:^|[{,]\s*)\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?!\/)/gm)]
    .map((m) => m[1] ?? "")
    .filter((name) => /^[A-Z]|^AzureWebJobs/.test(name));
}

/** Settings the app itself requires: environment keys with neither `.optional()` nor `.default(`. */
export function requiredByConfig(configTs: string): string[] {
  const schema = /const environmentSchema = workerSchema\.extend\(\{([\s\S]*?)\n\}\);/.exec(configTs)?.[1];
  if (schema === undefined) throw new Error("shared/config.ts: environmentSchema not found");
  const entries = [
    ...schema.matchAll(/^ {2}([A-Za-z_][A-Za-z0-9_]*):([\s\S]*?)(?=^ {2}[A-Za-z_]|$(?![\s\S]))/gm),
  ];
  const required = entries
    .filter(([, , expr = ""]) => !/\.optional\(\)|\.default\(/.test(expr))
    .map(([, name = ""]) => name);
  // storageFrom() requires a connection string or its identity form; either name satisfies it.
  if (configTs.includes("AzureWebJobsStorage: required")) required.push("AzureWebJobsStorage");
  return required;
}

/** Settings docs/configuration.md marks `— (required…)`, and those it lists as set in Azure. */
export function documentedForAzure(configurationMd: string): { required: string[]; inAzure: string[] } {
  const required = [...configurationMd.matchAll(/^\| `([A-Za-z_][A-Za-z0-9_]*)`\s*\|\s*— \(required/gm)].map(
    (m) => m[1] ?? "",
  );
  const section = /<!-- azure-settings:start -->([\s\S]*?)<!-- azure-settings:end -->/.exec(
    configurationMd,
  )?.[1];
  if (section === undefined) throw new Error("docs/configuration.md has no azure-settings section");
  // Setting names only (upper case, or the host's AzureWebJobs* family), not other code words.
  const inAzure = [...section.matchAll(/`([A-Z][A-Z0-9_]*|AzureWebJobs\w+)`/g)].map((m) => m[1] ?? "");
  return { required, inAzure };
}

/** What is missing: a required name is satisfied by itself or its identity-based form (`__accountName`). */
export function missingSettings(required: readonly string[], set: readonly string[]): string[] {
  return required.filter((name) => !set.includes(name) && !set.includes(`${name}__accountName`));
}

// ------------------------------------------------------------------ role assignments

type RoleRef = { file: string; expression: string; resolved: string[] };

/** Every `roleDefinitionId:` of a file, resolved to role ids (or `custom:<resource>` for a role defined there). */
export function roleDefinitionRefs(file: string, bicep: string): RoleRef[] {
  const vars = new Map<string, string>();
  for (const m of bicep.matchAll(/^var (\w+) = '([^']*)'/gm)) vars.set(m[1] ?? "", m[2] ?? "");
  const roleMap = new Map<string, string>();
  const rolesBlock = /^var roles = \{([\s\S]*?)^\}/m.exec(bicep)?.[1] ?? "";
  for (const m of rolesBlock.matchAll(/(\w+):\s*'([^']*)'/g)) roleMap.set(m[1] ?? "", m[2] ?? "");
  const customRoles = new Set(
    [...bicep.matchAll(/^resource (\w+) 'Microsoft\.Authorization\/roleDefinitions@/gm)].map(
      (m) => m[1] ?? "",
    ),
  );

  const resolveValue = (value: string, before: string): string[] => {
    const v = value.trim();
    const literal = /^'([^']*)'$/.exec(v)?.[1];
    if (literal !== undefined) return [literal];
    const fromMap = /^roles\.(\w+)$/.exec(v)?.[1];
    if (fromMap !== undefined) return [roleMap.get(fromMap) ?? `unknown roles.${fromMap}`];
    const custom = /^(\w+)\.name$/.exec(v)?.[1];
    if (custom !== undefined && customRoles.has(custom)) return [`custom:${custom}`];
    if (/^\w+$/.test(v)) {
      const fromVar = vars.get(v);
      if (fromVar !== undefined) return [fromVar];
      // A loop variable: `for <v> in [ … ]:` in the resource this reference belongs to.
      const loops = [...before.matchAll(new RegExp(`for ${v} in \\[([^\\]]*)\\]`, "g"))];
      const items = loops.at(-1)?.[1];
      if (items !== undefined) return items.split(",").flatMap((item) => resolveValue(item, before));
    }
    return [`unresolved ${v}`];
  };

  return [...bicep.matchAll(/roleDefinitionId:\s*(.+)$/gm)].map((m) => {
    const expression = (m[1] ?? "").trim();
    const arg = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(.+)\)$/.exec(
      expression,
    )?.[1];
    const resolved =
      arg === undefined
        ? [`not a role definition id: ${expression}`]
        : resolveValue(arg, bicep.slice(0, m.index));
    return { file, expression, resolved };
  });
}

export function unknownRoles(refs: readonly RoleRef[]): string[] {
  return refs.flatMap((ref) =>
    ref.resolved
      .filter((id) => !id.startsWith("custom:") && KNOWN_BUILT_IN_ROLES[id] === undefined)
      .map((id) => `${ref.file}: ${ref.expression} → ${id}`),
  );
}

// ------------------------------------------------------------------ parameters and environment values

export function bicepParams(bicep: string): { name: string; hasDefault: boolean }[] {
  return [...bicep.matchAll(/^param (\w+) [\w.]+( =)?/gm)].map((m) => ({
    name: m[1] ?? "",
    hasDefault: m[2] !== undefined,
  }));
}

/** Parameter names in the table between the `parameters` markers of docs/deploy.md. */
export function documentedParams(deployMd: string): string[] {
  const section = /<!-- parameters:start -->([\s\S]*?)<!-- parameters:end -->/.exec(deployMd)?.[1];
  if (section === undefined) throw new Error("docs/deploy.md has no parameters section");
  return [...section.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1] ?? "");
}

/** `azd env set NAME` in a document: names a team is told to set. */
export function azdEnvNames(markdown: string): string[] {
  return [...new Set([...markdown.matchAll(/azd env set (\w+)/g)].map((m) => m[1] ?? ""))];
}

/** azd environment values main.parameters.json maps (`${NAME}` / `${NAME=default}`), by parameter. */
export function parameterMappings(parametersJson: string): Map<string, string> {
  const parsed = JSON.parse(parametersJson) as { parameters: Record<string, { value: unknown }> };
  const map = new Map<string, string>();
  for (const [param, { value }] of Object.entries(parsed.parameters)) {
    const env = typeof value === "string" ? /^\$\{(\w+)(=[^}]*)?\}$/.exec(value)?.[1] : undefined;
    if (env !== undefined) map.set(param, env);
  }
  return map;
}

// ------------------------------------------------------------------ tags

/** Resources that take a `location` but set no `tags`. */
export function untaggedResources(file: string, bicep: string): string[] {
  const chunks = bicep.split(/^(?=resource |module |output |var |param |\/\/ -{10})/m);
  return chunks
    .filter(
      (chunk) => chunk.startsWith("resource ") && /^\s+location:/m.test(chunk) && !/^\s+tags:/m.test(chunk),
    )
    .map((chunk) => `${file}: ${chunk.split("\n")[0] ?? ""}`);
}

// ------------------------------------------------------------------ the checks

const main = read("infra/main.bicep");
const files = bicepFiles();
const configurationMd = read("docs/configuration.md");
const deployMd = read("docs/deploy.md");
const readme = read("README.md");
const mappings = parameterMappings(read("infra/main.parameters.json"));
const outputs = [...main.matchAll(/^output (\w+) /gm)].map((m) => m[1] ?? "");

describe("infra/main.bicep, read as text", () => {
  it("sets every setting shared/config.ts requires on the function app", () => {
    expect(missingSettings(requiredByConfig(read("shared/config.ts")), appSettingNames(main))).toEqual([]);
  });

  it("sets every setting docs/configuration.md documents as required or as set in Azure", () => {
    const { required, inAzure } = documentedForAzure(configurationMd);
    expect(required.length).toBeGreaterThan(0);
    expect(missingSettings([...required, ...inAzure], appSettingNames(main))).toEqual([]);
  });

  it("sets no app setting that docs/configuration.md does not list as set in Azure", () => {
    const { inAzure } = documentedForAzure(configurationMd);
    expect(appSettingNames(main).filter((name) => !inAzure.includes(name))).toEqual([]);
  });

  it("never sets an app setting to '' (the app rejects empty values; optional ones are left out)", () => {
    const block = /\/\/ app settings: begin([\s\S]*?)\/\/ app settings: end/.exec(main)?.[1] ?? "";
    expect(block.match(/^\s+[A-Za-z_]\w*:\s*''\s*$/gm) ?? []).toEqual([]);
  });

  it("assigns only known built-in role ids (or a role it defines itself)", () => {
    const refs = [...files].flatMap(([file, text]) => roleDefinitionRefs(file, text));
    expect(refs.length).toBeGreaterThanOrEqual(8);
    expect(unknownRoles(refs)).toEqual([]);
  });

  it("documents exactly the parameters main.bicep declares (docs/deploy.md)", () => {
    const declared = bicepParams(main)
      .map((p) => p.name)
      .sort();
    expect(documentedParams(deployMd).sort()).toEqual(declared);
  });

  it("maps every parameter without a default, and only declared parameters, in main.parameters.json", () => {
    const params = bicepParams(main);
    const names = params.map((p) => p.name);
    expect([...mappings.keys()].filter((p) => !names.includes(p))).toEqual([]);
    expect(params.filter((p) => !p.hasDefault && !mappings.has(p.name)).map((p) => p.name)).toEqual([]);
  });

  it("maps every environment value the README and docs/deploy.md tell a team to set", () => {
    const mapped = new Set(mappings.values());
    const told = [...azdEnvNames(readme), ...azdEnvNames(deployMd)];
    expect(told.length).toBeGreaterThan(0);
    expect(told.filter((name) => !mapped.has(name) && !outputs.includes(name))).toEqual([]);
  });

  it("tags every resource that has a location", () => {
    expect([...files].flatMap(([file, text]) => untaggedResources(file, text))).toEqual([]);
  });

  it("runs Node 22 on the function app, as package.json's engines ask", () => {
    expect(main).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
    const engines = (JSON.parse(read("package.json")) as { engines?: { node?: string } }).engines?.node;
    expect(engines).toBe(">=22");
  });
});

describe("the checks themselves fail on a broken sample", () => {
  const broken = `
var roles = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  typo: 'acdd72a7-3385-48ef-bd42-f606fba81ae8'
}
resource a 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.reader, roles.typo]: {
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]
resource b 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'x'
  location: location
}
// app settings: begin
var baseSettings = {
  TASK_HUB_NAME: 'hub'
  ROUTING_RULES: ''
}
// app settings: end
`;

  it("flags a role id that is not a known built-in role", () => {
    expect(unknownRoles(roleDefinitionRefs("sample.bicep", broken))).toEqual([
      "sample.bicep: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) → acdd72a7-3385-48ef-bd42-f606fba81ae8",
    ]);
  });

  it("flags a required setting that is not set, and accepts the identity-based storage form", () => {
    const set = appSettingNames(broken);
    expect(set).toEqual(["TASK_HUB_NAME", "ROUTING_RULES"]);
    expect(missingSettings(["SYNAPSE_WORKSPACES", "TASK_HUB_NAME"], set)).toEqual(["SYNAPSE_WORKSPACES"]);
    expect(missingSettings(["AzureWebJobsStorage"], ["AzureWebJobsStorage__accountName"])).toEqual([]);
  });

  it("flags a resource with a location and no tags", () => {
    expect(untaggedResources("sample.bicep", broken)).toEqual([
      "sample.bicep: resource b 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
    ]);
  });

  it("reads required settings from the config schema (no .optional(), no .default())", () => {
    const config = `const environmentSchema = workerSchema.extend({
  A: z.string(),
  B: z.string().optional(),
  C: integer(1, 2).default(1),
  D: z
    .string()
    .min(1),
});
problems.push("AzureWebJobsStorage: required (…)");`;
    expect(requiredByConfig(config)).toEqual(["A", "D", "AzureWebJobsStorage"]);
  });

  it("compares documented and declared parameters", () => {
    const doc = "<!-- parameters:start -->\n| `location` | … |\n| `gone` | … |\n<!-- parameters:end -->";
    expect(documentedParams(doc)).toEqual(["location", "gone"]);
    expect(bicepParams("param location string = 'x'\nparam name string\n")).toEqual([
      { name: "location", hasDefault: true },
      { name: "name", hasDefault: false },
    ]);
  });
});
