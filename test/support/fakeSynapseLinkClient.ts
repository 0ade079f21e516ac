import type { LinkRef } from "../../shared/domain/linkRef";
import { tableKey, type TableName } from "../../shared/domain/tableName";
import type { LinkStatus } from "../../shared/synapse/serviceStrings";
import {
  SynapseRequestError,
  type LinkConnectionInfo,
  type EditTablesAnswer,
  type LinkDetailedStatus,
  type LinkedTable,
  type LinkTableEdit,
  type LinkTableState,
  type LinkTargetPool,
  type SynapseLinkClient,
} from "../../shared/synapse/synapseLinkClient";

interface FakeLink {
  status: LinkStatus;
  /** Absent, as in every real recording, unless a test sets it. */
  isApplyingChanges?: boolean;
  tables: LinkedTable[];
  states: LinkTableState[];
}

/** A small fake of the SynapseLinkClient port: links hold tables; edits apply at once. */
export class FakeSynapseLinkClient implements SynapseLinkClient {
  readonly links = new Map<string, FakeLink>();
  readonly edits: LinkTableEdit[][] = [];
  readonly started: string[] = [];
  /** Link name → what its target linked service names; a link not listed names no pool. */
  readonly targetPools = new Map<string, LinkTargetPool>();
  /** Links whose target pool was asked for, in order. */
  readonly targetPoolReads: string[] = [];
  editError: Error | undefined;
  /** What the edittables answer lists: the link's tables (REC-23), only the edited ones, or nothing. */
  editAnswerLists: "link" | "edited" | "nothing" = "link";
  /**
   * An add of a table the link already holds under another id: refused (400), kept (accepted, the
   * link unchanged), or held twice (accepted, a second entry).
   */
  duplicateAdd: "refused" | "kept" | "twice" = "refused";

  addLink(name: string, status: LinkStatus = "Running", tables: TableName[] = []): FakeLink {
    const link: FakeLink = {
      status,
      tables: tables.map((t, i) => ({ id: `existing-${name}-${i}`, source: t })),
      states: [],
    };
    this.links.set(name, link);
    return link;
  }

  private get(link: LinkRef): FakeLink {
    const found = this.links.get(link.linkConnection);
    if (!found) {
      throw new SynapseRequestError(`no link ${link.linkConnection}`, 404, "LinkConnectionNotFound", "fake");
    }
    return found;
  }

  listLinkConnections(_workspace: string): Promise<string[]> {
    return Promise.resolve([...this.links.keys()]);
  }
  getLinkConnection(link: LinkRef): Promise<LinkConnectionInfo | undefined> {
    return Promise.resolve(
      this.links.has(link.linkConnection)
        ? { name: link.linkConnection, actionOnExistingTargetTable: "FailOnNonEmptyTable" }
        : undefined,
    );
  }
  getDetailedStatus(link: LinkRef): Promise<LinkDetailedStatus> {
    const l = this.get(link);
    return Promise.resolve({
      status: l.status,
      rawStatus: l.status,
      ...(l.isApplyingChanges === undefined ? {} : { isApplyingChanges: l.isApplyingChanges }),
      isPartiallyFailed: false,
    });
  }
  listLinkTables(link: LinkRef): Promise<LinkedTable[]> {
    return Promise.resolve([...this.get(link).tables]);
  }
  editTables(link: LinkRef, edits: readonly LinkTableEdit[]): Promise<EditTablesAnswer> {
    if (this.editError) return Promise.reject(this.editError);
    this.edits.push([...edits]);
    const l = this.get(link);
    const held = (edit: LinkTableEdit) => l.tables.find((t) => tableKey(t.source) === tableKey(edit.source));
    const refused = edits.find((e) => e.operation === "add" && held(e) && held(e)?.id !== e.id);
    if (refused && this.duplicateAdd === "refused") {
      const message = `${tableKey(refused.source)} is already in the link as ${held(refused)?.id ?? ""}`;
      return Promise.reject(new SynapseRequestError(message, 400, "LinkTableAlreadyExists", "editTables"));
    }
    for (const edit of edits) {
      if (edit.operation === "add") {
        if (!held(edit) || this.duplicateAdd === "twice") l.tables.push({ id: edit.id, source: edit.source });
      } else {
        // By id when the link holds it, else by table (as the simulator).
        const byId = l.tables.some((t) => t.id === edit.id);
        l.tables = l.tables.filter((t) =>
          byId ? t.id !== edit.id : tableKey(t.source) !== tableKey(edit.source),
        );
      }
    }
    // As the service: the whole link resource, its tables included (unless a test says otherwise).
    if (this.editAnswerLists === "nothing") return Promise.resolve({});
    const edited = new Set(edits.map((e) => tableKey(e.source)));
    const listed =
      this.editAnswerLists === "link" ? l.tables : l.tables.filter((t) => edited.has(tableKey(t.source)));
    return Promise.resolve({ linkTables: [...listed] });
  }
  queryTableStatus(link: LinkRef): Promise<LinkTableState[]> {
    return Promise.resolve([...this.get(link).states]);
  }
  start(link: LinkRef): Promise<void> {
    this.started.push(link.linkConnection);
    this.get(link).status = "Starting";
    return Promise.resolve();
  }
  resume(link: LinkRef): Promise<void> {
    this.started.push(link.linkConnection);
    this.get(link).status = "Resuming";
    return Promise.resolve();
  }
  getTargetPool(link: LinkRef): Promise<LinkTargetPool> {
    this.targetPoolReads.push(link.linkConnection);
    return Promise.resolve(
      this.targetPools.get(link.linkConnection) ?? {
        none: `link ${link.linkConnection} names no target linked service`,
      },
    );
  }
}
