import type { SynapseSim } from "../../dev/synapse-sim";

/** Tables the simulator accepted an add for (every 200 edittables entry with operationType add), per qualified name. */
export function addsPerTable(sim: SynapseSim, linkConnection?: string): Record<string, number> {
  const adds: Record<string, number> = {};
  for (const call of sim
    .callsTo("LinkConnection_EditTables", linkConnection)
    .filter((c) => c.status === 200)) {
    const body = call.body as {
      linkTables?: { operationType?: string; source?: { schemaName?: string; tableName?: string } }[];
    };
    for (const t of body.linkTables ?? []) {
      if (t.operationType?.toLowerCase() !== "add") continue;
      const key = `${t.source?.schemaName ?? ""}.${t.source?.tableName ?? ""}`;
      adds[key] = (adds[key] ?? 0) + 1;
    }
  }
  return adds;
}
