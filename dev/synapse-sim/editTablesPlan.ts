// Turns an EditTables request into a plan, checking the request against itself and against the link it edits
// (operation types, ids, the same table twice, update / remove targets). Whether an add can be enabled on the source
// (SQL errors 22718, 22720, 22737, 22753) is decided afterwards, in tableRefusals.ts. One problem here rejects the
// whole request with a 400 and nothing is stored (all-or-nothing: a simulator choice).
import { SimHttpError, type SimErrorDetail } from "./cloudError";
import {
  displayName,
  sourceKeyOf,
  tableKey,
  type EditTablesRequestWire,
  type LinkRecord,
  type LinkTableRecord,
  type LinkTableTarget,
  type SourceTableName,
} from "./linkRecords";
import type { SimProfile } from "./simProfile";

export interface EditTablesContext {
  link: LinkRecord;
  /** The profile's answer to an add of a table the link already holds (simProfile.ts, duplicateAdd). */
  duplicateAdd: SimProfile["duplicateAdd"];
  /** The id as the service stores and returns it; undefined when the service would refuse it. */
  normaliseId(id: string): string | undefined;
}

export interface PlannedAdd {
  /** Where the add sits in the request ("linkTables[2]"), for error targets. */
  at: string;
  id: string;
  source: SourceTableName;
  target?: LinkTableTarget;
  /** The entry of this link that already holds the source table (duplicateAdd: enabledOnce). */
  heldHere?: LinkTableRecord;
  /** That entry has this very id: stored once already, so nothing is added unless it is refused. */
  retried?: boolean;
}

export interface EditTablesPlan {
  adds: PlannedAdd[];
  updates: { table: LinkTableRecord; target: LinkTableTarget }[];
  removes: LinkTableRecord[];
}

type Problem = Required<SimErrorDetail>;

const INVALID = "InvalidLinkTableRequest";

export function planEditTables(request: EditTablesRequestWire, ctx: EditTablesContext): EditTablesPlan {
  const plan: EditTablesPlan = { adds: [], updates: [], removes: [] };
  const problems: Problem[] = [];
  const linkTables = request.linkTables ?? [];
  if (linkTables.length === 0) {
    problems.push({
      code: INVALID,
      message: "linkTables must contain at least one link table.",
      target: "linkTables",
    });
  }

  const seenSources = new Set<string>();
  const seenIds = new Set<string>();
  // The link's entries by source and by id, the first entry of each as a search would find it: one
  // pass over the link, not one per edited table (a 5,000-table link is edited 100 tables at a time).
  const bySource = new Map<string, LinkTableRecord>();
  const byId = new Map<string, LinkTableRecord>();
  for (const t of ctx.link.tables) {
    const key = sourceKeyOf(t);
    if (!bySource.has(key)) bySource.set(key, t);
    if (!byId.has(t.id)) byId.set(t.id, t);
  }

  linkTables.forEach((item, index) => {
    const at = `linkTables[${index}]`;
    const problem = (code: string, message: string, target = at): void => {
      problems.push({ code, message, target });
    };
    const operationType = item.operationType?.toLowerCase();
    if (operationType === undefined || operationType === "") {
      problem(
        INVALID,
        `${at}.operationType is required; please choose a value from add, update, remove.`,
        `${at}.operationType`,
      );
      return;
    }
    if (operationType !== "add" && operationType !== "update" && operationType !== "remove") {
      problem(
        INVALID,
        `${at}.operationType '${item.operationType ?? ""}' is invalid; please choose a value from add, update, remove.`,
        `${at}.operationType`,
      );
      return;
    }

    let id: string | undefined;
    if (item.id) {
      id = ctx.normaliseId(item.id);
      if (id === undefined) {
        problem(INVALID, `${at}.id '${item.id}' is not a GUID.`, `${at}.id`);
        return;
      }
    }

    const schemaName = item.source?.schemaName;
    const tableName = item.source?.tableName;
    const sourceKey = schemaName && tableName ? tableKey(schemaName, tableName) : undefined;
    if (sourceKey !== undefined) {
      if (seenSources.has(sourceKey)) {
        problem(
          INVALID,
          `${at}: source table ${displayName(schemaName ?? "", tableName ?? "")} appears more than once in the request.`,
        );
        return;
      }
      seenSources.add(sourceKey);
    }
    if (id !== undefined) {
      if (seenIds.has(id)) {
        problem(
          INVALID,
          `${at}: link table id '${item.id ?? ""}' appears more than once in the request.`,
          `${at}.id`,
        );
        return;
      }
      seenIds.add(id);
    }

    if (operationType === "add") {
      const missing = [
        id === undefined ? `${at}.id` : undefined,
        schemaName ? undefined : `${at}.source.schemaName`,
        tableName ? undefined : `${at}.source.tableName`,
      ].filter((m): m is string => m !== undefined);
      for (const field of missing) problem(INVALID, `${field} is required for operationType 'add'.`, field);
      if (id === undefined || !schemaName || !tableName || sourceKey === undefined) return;
      const name = displayName(schemaName, tableName);

      const sameSource = bySource.get(sourceKey);
      if (sameSource && ctx.duplicateAdd === "kept") return; // accepted, the definition unchanged
      if (sameSource && ctx.duplicateAdd === "refused") {
        // Same table, same id: a retried call that already went through — nothing to do.
        if (sameSource.id === id) return;
        problem(
          "LinkTableAlreadyExists",
          `${at}: source table ${name} is already in link connection '${ctx.link.name}' with link table id '${sameSource.id}'.`,
        );
        return;
      }
      if (sameSource?.id === id) {
        // enabledOnce, the same id again: SQL refuses (22718), or the definition already has it.
        plan.adds.push({ at, id, source: { schemaName, tableName }, heldHere: sameSource, retried: true });
        return;
      }
      const sameId = byId.get(id);
      if (sameId) {
        problem(
          "DuplicateLinkTableId",
          `${at}: link table id '${item.id ?? ""}' is already used by ${displayName(sameId.source.schemaName, sameId.source.tableName)} in link connection '${ctx.link.name}'.`,
          `${at}.id`,
        );
        return;
      }
      plan.adds.push({
        at,
        id,
        source: { schemaName, tableName },
        ...(item.target === undefined ? {} : { target: item.target }),
        ...(sameSource ? { heldHere: sameSource } : {}),
      });
      return;
    }

    // update / remove: find the link table by id, else by source table.
    if (id === undefined && sourceKey === undefined) {
      problem(
        INVALID,
        `${at}: operationType '${operationType}' needs the link table id or source.schemaName and source.tableName.`,
        `${at}.id`,
      );
      return;
    }
    const existing =
      (id === undefined ? undefined : byId.get(id)) ??
      (sourceKey === undefined ? undefined : bySource.get(sourceKey));
    if (!existing) {
      // Removals are stored at once, so a retried remove finds nothing and is refused like any unknown table
      // (the harsher reading; the real answer is not recorded).
      problem(
        "LinkTableNotFound",
        `${at}: link table ${item.id ? `id '${item.id}'` : displayName(schemaName ?? "", tableName ?? "")} is not in link connection '${ctx.link.name}'.`,
      );
      return;
    }
    if (operationType === "remove") {
      plan.removes.push(existing);
      return;
    }
    if (item.target === undefined) {
      problem(INVALID, `${at}.target is required for operationType 'update'.`, `${at}.target`);
      return;
    }
    plan.updates.push({ table: existing, target: item.target });
  });

  throwIfAny(problems);
  return plan;
}

/** All-or-nothing: any problem rejects the request; the first one names the code, the message lists them all. */
export function throwIfAny(problems: Problem[]): void {
  const first = problems[0];
  if (first) {
    throw new SimHttpError(400, first.code, problems.map((p) => p.message).join(" "), problems, first.target);
  }
}
