import { classifyTableFailure, isEnabledOnce } from "../../../shared/synapse/tableFailure";

// The catalogue wording is SQL Server's (errors 22000–22999); nothing records which of code,
// number or wording the link-connection API passes on, so each case is tried every way.
const T22718 =
  "Change Feed is already enabled on source table 'dbo.Orders' with link table id '887e9d4d-f0fa-4afa-aad0-d7a2c7f42d88'. A table can only be enabled once among all table groups.";
const T22720 = "Enabling Change Feed on a table without primary key is not allowed.";
const T22721 =
  "Can not enable Change Feed on a table where primary key uses columns of the following types: user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp";
const T22737 =
  "Can not enable Change Feed on a table where the column data type are user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp";
const T22738 = "Can not enable Change Feed on a table with computed columns.";
const T22753 =
  "The number of tables enabled for a Change Feed table group can not exceed 5000. Current number of table enabled: 5000.";

type Kind = "permanent" | "enabledElsewhere" | "nonEmptyTarget" | "transient";

describe("classifyTableFailure", () => {
  it.each<[string, string | undefined, string | undefined, Kind]>([
    // 22718, enabled once
    ["22718 as the code", "22718", undefined, "enabledElsewhere"],
    ["22718 inside the message", "SqlError", `Msg 22718, Level 16: ${T22718}`, "enabledElsewhere"],
    ["22718's wording alone", undefined, T22718, "enabledElsewhere"],
    [
      "the documented transient's wording alone",
      undefined,
      "A table can only be enabled once among all table groups",
      "enabledElsewhere",
    ],
    [
      "22718's first sentence alone",
      "Failed",
      "Change Feed is already enabled on source table 'dbo.Orders'",
      "enabledElsewhere",
    ],
    [
      "the simulator's TableEnabledOnceConflict code",
      "TableEnabledOnceConflict",
      "retry later",
      "enabledElsewhere",
    ],
    [
      "the simulator's SourceTableInAnotherLinkConnection code",
      "SourceTableInAnotherLinkConnection",
      "in link 'x'",
      "enabledElsewhere",
    ],
    // 22720, no primary key
    ["22720 as the code", "22720", undefined, "permanent"],
    ["22720 glued to a code name", "SqlErrorNumber22720", "failed", "permanent"],
    ["22720's wording alone", undefined, T22720, "permanent"],
    ["22720's wording in upper case", undefined, T22720.toUpperCase(), "permanent"],
    [
      "the simulator's SourceTableMissingPrimaryKey code",
      "SourceTableMissingPrimaryKey",
      "whatever",
      "permanent",
    ],
    [
      "a 'does not have a primary key' variant",
      "TableFailed",
      "Source table dbo.Log does not have a primary key.",
      "permanent",
    ],
    // 22721, primary key column types
    ["22721 as the code", "22721", undefined, "permanent"],
    ["22721's wording alone", undefined, T22721, "permanent"],
    // 22737, unsupported column types
    ["22737 inside the message", undefined, `Error 22737: ${T22737}`, "permanent"],
    ["22737's wording alone", undefined, T22737, "permanent"],
    // 22738, computed columns
    ["22738 as the code", "22738", "", "permanent"],
    ["22738's wording alone", undefined, T22738, "permanent"],
    // 22753, 5,000-table limit
    ["22753 as the code", "22753", undefined, "permanent"],
    ["22753's wording alone", undefined, T22753, "permanent"],
    [
      "the simulator's LinkConnectionTableLimitExceeded code",
      "LinkConnectionTableLimitExceeded",
      "too many",
      "permanent",
    ],
    // other tables change feed refuses
    ["22717 (memory-optimized) as the code", "22717", undefined, "permanent"],
    [
      "the simulator's SourceTableNotFound code",
      "SourceTableNotFound",
      "Source table dbo.X does not exist in the source database.",
      "permanent",
    ],
    // non-empty target table
    [
      "the simulator's TargetTableNotEmpty code",
      "TargetTableNotEmpty",
      "Target table dbo.A already exists and is not empty (3 rows)",
      "nonEmptyTarget",
    ],
    ["'target table contains data' wording", undefined, "Target table contains data.", "nonEmptyTarget"],
    [
      "'target table is not empty' wording",
      "TableFailed",
      "The target table [dbo].[A] is not empty.",
      "nonEmptyTarget",
    ],
    [
      "a 'non-empty target table' wording",
      undefined,
      "Cannot load into a non-empty target table.",
      "nonEmptyTarget",
    ],
    [
      "the FailOnNonEmptyTable setting named in the message",
      undefined,
      "Failed because actionOnExistingTargetTable is FailOnNonEmptyTable",
      "nonEmptyTarget",
    ],
    // anything else
    [
      "a target-table failure that is not about data in it",
      undefined,
      "Target table creation failed: timeout",
      "transient",
    ],
    [
      "an unknown code and message",
      "SnapshotFailed",
      "Error occurred while exporting initial snapshot to landing zone.",
      "transient",
    ],
    ["a longer number that contains 22720", "122720", "error 227201", "transient"],
    ["no code and no message", undefined, undefined, "transient"],
  ])("%s → %s", (_case, code, message, kind) => {
    expect(classifyTableFailure(code, message).kind).toBe(kind);
  });

  it.each<[string, string | undefined, string | undefined, RegExp]>([
    ["no primary key", "22720", undefined, /add a primary key/i],
    ["primary key column types", undefined, T22721, /primary key.*geometry/i],
    [
      "unsupported column types",
      undefined,
      T22737,
      /user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp/,
    ],
    ["computed columns", undefined, T22738, /computed columns/],
    ["the table limit", "LinkConnectionTableLimitExceeded", undefined, /another link connection/],
  ])("tells what to fix for %s", (_case, code, message, fix) => {
    const result = classifyTableFailure(code, message);
    expect(result.kind === "permanent" && result.fix).toMatch(fix);
  });

  it("lets a SQL error number win over wording that points elsewhere", () => {
    expect(classifyTableFailure("22720", "Target table is not empty").kind).toBe("permanent");
  });
});

describe("isEnabledOnce", () => {
  it.each<[string, string | undefined, string | undefined, boolean]>([
    ["22718 by number", "22718", undefined, true],
    ["22718 by wording", undefined, T22718, true],
    ["a missing primary key", "22720", T22720, false],
    ["nothing", undefined, undefined, false],
  ])("%s → %p", (_case, code, message, expected) => {
    expect(isEnabledOnce(code, message)).toBe(expected);
  });
});
