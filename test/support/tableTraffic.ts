import type { TableClient } from "@azure/data-tables";

/** What a TableClient sent since the last `reset`: its requests (methods, in order) and the rows their answers held. */
export interface TableTraffic {
  readonly methods: string[];
  readonly rowsRead: number;
  reset(): void;
}

/** Counts the client's round trips and the rows its answers carry (each entity names its RowKey once). */
export function watchTableTraffic(client: TableClient): TableTraffic {
  const methods: string[] = [];
  let rowsRead = 0;
  client.pipeline.addPolicy({
    name: "watchTableTraffic",
    sendRequest: async (request, next) => {
      methods.push(request.method);
      const response = await next(request);
      rowsRead += ((response.bodyAsText ?? "").match(/"RowKey"/g) ?? []).length;
      return response;
    },
  });
  return {
    methods,
    get rowsRead() {
      return rowsRead;
    },
    reset() {
      methods.length = 0;
      rowsRead = 0;
    },
  };
}
