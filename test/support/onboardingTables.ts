// Table entries and queue messages as the intake tests write them.

/** A request's table entry: schema.name, landing in the same schema and name with `target`'s options. */
export function tableEntry(schema: string, name: string, target: Record<string, unknown> = {}) {
  return { schema, name, target: { schema, name, ...target } };
}

/** A version-1 queue message from HTTP request r1 adding tables to demo/demo-link; only `tables` is missing. */
export const queuedAdd = {
  v: 1,
  requestId: "r1",
  action: "add",
  workspace: "demo",
  linkConnection: "demo-link",
  origin: { kind: "http", id: "r1" },
  receivedAt: "2026-01-05T08:00:00.000Z",
} as const;
