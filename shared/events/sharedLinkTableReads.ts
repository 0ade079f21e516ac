import { canonicalLink, type LinkRef } from "../domain/linkRef";
import type { LinkedTable, SynapseLinkClient } from "../synapse/synapseLinkClient";

/*
 * One Event Grid delivery holds many events, and the trigger runs once per event, all at about the
 * same time (docs/events.md#schema-change-events). Each `dropped` event reads its link's tables;
 * without sharing, a delivery of 50 drops for one link is 50 identical ListLinkTables calls against
 * a rate-limited data plane. Reads of one link (case-insensitive, as Synapse compares names) that
 * start while another is in flight, or within a few seconds after it answered, get its answer.
 * Failed reads are not kept: the next event asks again, and a fault still fails its invocation so
 * that Event Grid redelivers it.
 */

/** How long an answer is shared after it arrived: one delivery's events, never minutes-old data. */
export const LINK_TABLES_SHARE_MS = 5_000;

type ListLinkTables = Pick<SynapseLinkClient, "listLinkTables">;

interface SharedRead {
  tables: Promise<LinkedTable[]>;
  /**
   * Epoch ms after which the read is not shared any more: while in flight, a minute from its start
   * (a call that hangs must not hold every later event of the link); once answered, `shareMs`.
   */
  expiresAt: number;
}

const IN_FLIGHT_SHARE_MS = 60_000;

class SharedLinkTableReads implements ListLinkTables {
  private readonly reads = new Map<string, SharedRead>();

  constructor(
    private readonly synapse: ListLinkTables,
    private readonly shareMs: number,
    private readonly now: () => number,
  ) {}

  listLinkTables(link: LinkRef): Promise<LinkedTable[]> {
    const { workspace, linkConnection } = canonicalLink(link);
    const key = `${workspace}\n${linkConnection}`;
    const current = this.reads.get(key);
    if (current !== undefined && this.now() < current.expiresAt) return current.tables;
    this.forgetExpired();
    const read: SharedRead = {
      tables: this.synapse.listLinkTables(link),
      expiresAt: this.now() + IN_FLIGHT_SHARE_MS,
    };
    this.reads.set(key, read);
    read.tables.then(
      () => {
        read.expiresAt = this.now() + this.shareMs;
      },
      () => {
        if (this.reads.get(key) === read) this.reads.delete(key);
      },
    );
    return read.tables;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [key, read] of this.reads) if (now >= read.expiresAt) this.reads.delete(key);
  }
}

/** `synapse` with reads of one link's tables shared for `shareMs` after they answered. */
export function sharedLinkTableReads(
  synapse: ListLinkTables,
  options: { shareMs?: number; now?: () => number } = {},
): ListLinkTables {
  return new SharedLinkTableReads(synapse, options.shareMs ?? LINK_TABLES_SHARE_MS, options.now ?? Date.now);
}

const perClient = new WeakMap<ListLinkTables, ListLinkTables>();

/**
 * The process's sharer for `synapse` (what the trigger uses): one per client object, so every
 * invocation shares it, and a new client (a new configuration) starts afresh.
 */
export function shareLinkTableReads(synapse: ListLinkTables): ListLinkTables {
  let sharer = perClient.get(synapse);
  if (sharer === undefined) {
    sharer = sharedLinkTableReads(synapse);
    perClient.set(synapse, sharer);
  }
  return sharer;
}
