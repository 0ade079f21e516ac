import { poolOfLinkedService, type LinkedServiceWire } from "../../../shared/synapse/linkedServicePool";

const DEFAULT_SQL: LinkedServiceWire = {
  type: "AzureSqlDW",
  typeProperties: {
    connectionString:
      "Data Source=tcp:ws.sql.azuresynapse.net,1433;Initial Catalog=@{linkedService().DBName}",
  },
  parameters: { DBName: { type: "String" } },
};

describe("poolOfLinkedService: the dedicated pool a link's target linked service names", () => {
  it.each<[string, Record<string, unknown> | undefined, LinkedServiceWire, string | undefined]>([
    ["the workspace default, DBName passed by the link (REC-23)", { DBName: "v2" }, DEFAULT_SQL, "v2"],
    ["the workspace default, no argument", undefined, DEFAULT_SQL, undefined],
    ["the workspace default, an argument of another name", { dbname: "v2" }, DEFAULT_SQL, undefined],
    [
      "a parameter's defaultValue when the link passes none",
      undefined,
      { ...DEFAULT_SQL, parameters: { DBName: { type: "String", defaultValue: "dw" } } },
      "dw",
    ],
    [
      "Initial Catalog named outright",
      undefined,
      {
        type: "AzureSqlDW",
        typeProperties: { connectionString: "Data Source=x; Initial Catalog = pool1 ;Encrypt=True" },
      },
      "pool1",
    ],
    [
      "Database= as the key",
      undefined,
      { type: "AzureSqlDW", typeProperties: { connectionString: "Server=x;Database=pool2" } },
      "pool2",
    ],
    [
      "typeProperties.database (recommended version)",
      undefined,
      { type: "azuresqldw", typeProperties: { database: "pool3" } },
      "pool3",
    ],
    [
      "a masked SecureString connection string",
      undefined,
      {
        type: "AzureSqlDW",
        typeProperties: { connectionString: { type: "SecureString", value: "**********" } },
      },
      undefined,
    ],
    [
      "an expression the app does not evaluate",
      undefined,
      { type: "AzureSqlDW", typeProperties: { connectionString: "Initial Catalog=@{concat('a','b')}" } },
      undefined,
    ],
    [
      "no Initial Catalog",
      undefined,
      { type: "AzureSqlDW", typeProperties: { connectionString: "Data Source=x" } },
      undefined,
    ],
    [
      "another type of linked service",
      undefined,
      { type: "AzureSqlDatabase", typeProperties: { connectionString: "Initial Catalog=db" } },
      undefined,
    ],
    ["an argument that is itself an expression", { DBName: "@pipeline().x" }, DEFAULT_SQL, undefined],
  ])("%s", (_name, parameters, linkedService, pool) => {
    const found = poolOfLinkedService(
      { referenceName: "ls", ...(parameters ? { parameters } : {}) },
      linkedService,
    );
    if (pool === undefined) {
      expect(found).toEqual({ none: expect.stringContaining("linked service ls") as unknown });
    } else {
      expect(found).toEqual({ pool });
    }
  });
});
