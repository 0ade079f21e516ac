import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { installFunctionsCoreStandIn, type FunctionRegistry } from "../../dev/durable";

// Load every module the host would (package.json "main": dist/functions/*.js) through the stand-in.
const registry: FunctionRegistry = installFunctionsCoreStandIn();
const functionsDir = join(__dirname, "../../functions");
for (const file of readdirSync(functionsDir).filter((f) => f.endsWith(".ts"))) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load order matters: after the stand-in
  require(join(functionsDir, file));
}

interface Row {
  name: string;
  trigger: string;
  where: string;
  methods: string;
  authLevel: string;
  connection: string;
  outputs: string;
}

function readmeRows(): Row[] {
  const readme = readFileSync(join(__dirname, "../../docs/design.md"), "utf8");
  const section = /<!-- functions:start[^>]*-->([\s\S]*?)<!-- functions:end -->/.exec(readme)?.[1] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim().replace(/`/g, ""));
      const [
        name = "",
        trigger = "",
        where = "",
        methods = "",
        authLevel = "",
        connection = "",
        outputs = "",
      ] = cells;
      return { name, trigger, where, methods, authLevel, connection, outputs };
    });
}

interface Binding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  queueName?: string;
  connection?: string;
  schedule?: string;
}

function rowFromMetadata(name: string, bindings: Record<string, Binding>): Row {
  const all = Object.values(bindings);
  const trigger = all.find((b) => b.direction === "in" && b.type.endsWith("Trigger"));
  if (!trigger) throw new Error(`${name} has no trigger binding`);
  const where = trigger.route ? `/api/${trigger.route}` : (trigger.queueName ?? trigger.schedule ?? "");
  const outputs = all
    .filter((b) => b.direction === "out" && b.type === "queue")
    .map((b) => `queue ${b.queueName ?? ""}`)
    .join(", ");
  // Every queue binding must use the connection docs/design.md states.
  for (const b of all.filter((x) => x.type.startsWith("queue")))
    expect(b.connection).toBe("AzureWebJobsStorage");
  return {
    name,
    trigger: trigger.type,
    where,
    methods: (trigger.methods ?? []).join(", "),
    authLevel: trigger.authLevel ?? "",
    connection: trigger.type === "queueTrigger" ? (trigger.connection ?? "") : "",
    outputs,
  };
}

describe("function registrations", () => {
  it("match the README's functions table, one row per registered function", () => {
    const registered = [...registry.entries()]
      .map(([name, r]) => rowFromMetadata(name, r.metadata.bindings as unknown as Record<string, Binding>))
      .sort((a, b) => a.name.localeCompare(b.name));
    const documented = readmeRows().sort((a, b) => a.name.localeCompare(b.name));
    expect(documented.length).toBeGreaterThan(10);
    expect(registered).toEqual(documented);
  });

  it("give the functions that start or query workers a durable client input", () => {
    for (const name of ["linkStatus", "onboardingQueue", "reconcile"]) {
      const bindings = Object.values(registry.get(name)?.metadata.bindings ?? {}) as unknown as Binding[];
      expect(bindings.some((b) => b.type === "durableClient")).toBe(true);
    }
  });
});
