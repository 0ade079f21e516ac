// Turns an EditTables request into an all-or-nothing plan: every link table is checked against the link, the other
// links and the removal clean-up windows first; one problem rejects the whole request (400) and nothing is applied.
import { SimHttpError, type CloudError } from "./cloudError";
import {
  displayName,
  isActive,
  tableKey,
  type EditTablesRequestWire,
  type LinkRecord,
  type LinkTableRecord,
  type LinkTableTarget,
  type SourceTableName,
} from "./linkRecords";

/** DOC-KI: "A table can only be enabled once among all table groups" (re-adding a just-removed table). */
export const ENABLED_ONCE_MESSAGE = "A table can only be enabled once among all table groups";
export const MAX_TABLES_PER_LINK = 5000;

export interface EditTablesContext {
  link: LinkRecord;
  now: number;
  /** The other link that holds this source table (active, i.e. not being removed from it), if any. */
  otherLinkHolding(sourceKey: string): { linkName: string; beingRemoved: boolean } | undefined;
  /** End of the clean-up window after the source table's last removal, if one is open. */
  cleanupUntil(sourceKey: string): number | undefined;
}

export interface EditTablesPlan {
  adds: { id: string; source: SourceTableName; target?: LinkTableTarget }[];
  updates: { table: LinkTableRecord; target: LinkTableTarget }[];
  removes: LinkTableRecord[];
}

interface Problem {
  code: string;
  message: string;
  target: string;
}

export function planEditTables(request: EditTablesRequestWire, ctx: EditTablesContext): EditTablesPlan {
  const plan: EditTablesPlan = { adds: [], updates: [], removes: [] };
  const problems: Problem[] = [];
  const linkTables = request.linkTables ?? [];
  if (linkTables.length === 0) {
    problems.push({
      code: "InvalidLinkTableRequest",
      message: "linkTables must contain at least one link table.",
      target: "linkTables",
    });
  }

  const active = ctx.link.tables.filter(isActive);
  const seenSources = new Set<string>();
  const seenIds = new Set<string>();

  linkTables.forEach((item, index) => {
    const at = `linkTables[${index}]`;
    const problem = (code: string, message: string, target = at): void => {
      problems.push({ code, message, target });
    };
    const operationType = item.operationType?.toLowerCase();
    if (operationType === undefined || operationType === "") {
      problem(
        "InvalidLinkTableRequest",
        `${at}.operationType is required; please choose a value from add, update, remove.`,
        `${at}.operationType`,
      );
      return;
    }
    if (operationType !== "add" && operationType !== "update" && operationType !== "remove") {
      problem(
        "InvalidLinkTableRequest",
        `${at}.operationType '${item.operationType ?? ""}' is invalid; please choose a value from add, update, remove.`,
        `${at}.operationType`,
      );
      return;
    }

    const schemaName = item.source?.schemaName;
    const tableName = item.source?.tableName;
    const sourceKey = schemaName && tableName ? tableKey(schemaName, tableName) : undefined;
    if (sourceKey !== undefined) {
      if (seenSources.has(sourceKey)) {
        problem(
          "InvalidLinkTableRequest",
          `${at}: source table ${displayName(schemaName ?? "", tableName ?? "")} appears more than once in the request.`,
        );
        return;
      }
      seenSources.add(sourceKey);
    }
    if (item.id) {
      if (seenIds.has(item.id)) {
        problem(
          "InvalidLinkTableRequest",
          `${at}: link table id '${item.id}' appears more than once in the request.`,
          `${at}.id`,
        );
        return;
      }
      seenIds.add(item.id);
    }

    if (operationType === "add") {
      const missing = [
        item.id ? undefined : `${at}.id`,
        schemaName ? undefined : `${at}.source.schemaName`,
        tableName ? undefined : `${at}.source.tableName`,
      ].filter((m): m is string => m !== undefined);
      for (const field of missing) {
        problem("InvalidLinkTableRequest", `${field} is required for operationType 'add'.`, field);
      }
      if (missing.length > 0 || !item.id || !schemaName || !tableName || sourceKey === undefined) return;
      const name = displayName(schemaName, tableName);

      const sameSource = ctx.link.tables.find(
        (t) => tableKey(t.source.schemaName, t.source.tableName) === sourceKey,
      );
      if (sameSource && isActive(sameSource)) {
        // Same table, same id: a retried call that already went through — nothing to do.
        if (sameSource.id === item.id) return;
        problem(
          "LinkTableAlreadyExists",
          `${at}: source table ${name} is already in link connection '${ctx.link.name}' with link table id '${sameSource.id}'.`,
        );
        return;
      }
      const sameId = active.find((t) => t.id === item.id);
      if (sameId) {
        problem(
          "DuplicateLinkTableId",
          `${at}: link table id '${item.id}' is already used by ${displayName(sameId.source.schemaName, sameId.source.tableName)} in link connection '${ctx.link.name}'.`,
          `${at}.id`,
        );
        return;
      }
      const holder = ctx.otherLinkHolding(sourceKey);
      if (holder && !holder.beingRemoved) {
        problem(
          "SourceTableInAnotherLinkConnection",
          `${at}: source table ${name} is already enabled in link connection '${holder.linkName}'; a source table can be enabled in only one link connection at a time.`,
        );
        return;
      }
      const cleanupUntil = ctx.cleanupUntil(sourceKey);
      const beingRemovedHere = sameSource !== undefined; // inactive = removal accepted, not finished
      if (
        holder?.beingRemoved ||
        beingRemovedHere ||
        (cleanupUntil !== undefined && ctx.now < cleanupUntil)
      ) {
        problem(
          "TableEnabledOnceConflict",
          `${at}: ${ENABLED_ONCE_MESSAGE}. Source table ${name} was removed recently and its clean-up has not finished; retry later.`,
        );
        return;
      }
      plan.adds.push({
        id: item.id,
        source: { schemaName, tableName },
        ...(item.target === undefined ? {} : { target: item.target }),
      });
      return;
    }

    // update / remove: find the link table by id, else by source table.
    const existing =
      (item.id ? active.find((t) => t.id === item.id) : undefined) ??
      (sourceKey === undefined
        ? undefined
        : active.find((t) => tableKey(t.source.schemaName, t.source.tableName) === sourceKey));
    if (!item.id && sourceKey === undefined) {
      problem(
        "InvalidLinkTableRequest",
        `${at}: operationType '${operationType}' needs the link table id or source.schemaName and source.tableName.`,
        `${at}.id`,
      );
      return;
    }
    if (!existing) {
      const removedAlready =
        operationType === "remove" &&
        ctx.link.tables.some(
          (t) =>
            !isActive(t) &&
            (t.id === item.id || tableKey(t.source.schemaName, t.source.tableName) === sourceKey),
        );
      // Removing a table whose removal is already under way is a retried call: nothing to do.
      if (removedAlready) return;
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
      problem(
        "InvalidLinkTableRequest",
        `${at}.target is required for operationType 'update'.`,
        `${at}.target`,
      );
      return;
    }
    plan.updates.push({ table: existing, target: item.target });
  });

  const after = active.length + plan.adds.length - plan.removes.length;
  if (after > MAX_TABLES_PER_LINK) {
    problems.push({
      code: "LinkConnectionTableLimitExceeded",
      message: `Link connection '${ctx.link.name}' would have ${after} tables; a link connection can have at most ${MAX_TABLES_PER_LINK} tables.`,
      target: "linkTables",
    });
  }

  const first = problems[0];
  if (first) {
    const details: CloudError[] = problems.map((p) => ({
      error: { code: p.code, message: p.message, target: p.target },
    }));
    throw new SimHttpError(400, first.code, problems.map((p) => p.message).join(" "), details, first.target);
  }
  return plan;
}
