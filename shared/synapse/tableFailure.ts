/**
 * What a table failure means for the worker. Nothing real records how the link-connection API
 * reports a table the source database refuses (docs/synapse-service-strings.md): it may pass on
 * the SQL error number (in the code or inside the message), the catalogue's wording, or a code of
 * its own (the simulator's older codes are such guesses). So each case is matched every way, case
 * insensitively, and anything unrecognised is treated as transient, which the worker retries
 * within its existing bounds.
 */
export type TableFailureClass =
  /** Remove-and-re-add cannot cure it; `fix` tells the requester what to change. */
  | { kind: "permanent"; fix: string }
  /** SQL error 22718: the table is enabled in another table group, or its removal is still being cleaned up. */
  | { kind: "enabledElsewhere" }
  /** The target table holds data and the link uses `FailOnNonEmptyTable`. */
  | { kind: "nonEmptyTarget" }
  | { kind: "transient" };

interface Rule {
  /** SQL Server error numbers (sys.sp_change_feed_enable_table's errors, catalogue 22000–22999). */
  numbers: readonly number[];
  /** Service or simulator error codes, compared case-insensitively. */
  codes: readonly string[];
  /** Wording, tried on the code and the message. */
  wording: readonly RegExp[];
  result: TableFailureClass;
}

const permanent = (fix: string): TableFailureClass => ({ kind: "permanent", fix });

const UNSUPPORTED_TYPES = "user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp";

const ENABLED_ONCE: Rule = {
  numbers: [22718],
  // SourceTableInAnotherLinkConnection: the simulator's code for the case 22718's wording also covers.
  codes: ["TableEnabledOnceConflict", "SourceTableInAnotherLinkConnection"],
  wording: [/can only be enabled once/i, /change feed is already enabled on (the )?(source )?table/i],
  result: { kind: "enabledElsewhere" },
};

const RULES: readonly Rule[] = [
  ENABLED_ONCE,
  {
    numbers: [22720],
    codes: ["SourceTableMissingPrimaryKey"],
    wording: [
      /without (a )?primary key/i,
      /(does not|doesn't|do not) have a primary key/i,
      /(missing|no) primary key/i,
      /primary key (is )?(missing|required)/i,
    ],
    result: permanent(
      "the source table has no primary key (SQL error 22720): add a primary key to it, then onboard it again",
    ),
  },
  {
    numbers: [22721],
    codes: [],
    wording: [/primary key uses columns of the following types/i],
    result: permanent(
      `the source table's primary key uses a column type change feed cannot capture (${UNSUPPORTED_TYPES}; ` +
        "SQL error 22721): key the table on columns of other types, then onboard it again",
    ),
  },
  {
    numbers: [22719],
    codes: [],
    wording: [/primary key on (a )?computed column/i],
    result: permanent(
      "the source table's primary key is on a computed column (SQL error 22719): key the table on stored columns, then onboard it again",
    ),
  },
  {
    numbers: [22737],
    codes: [],
    wording: [/column data types? (are|is) user-defined types/i, /user-defined types, geometry, geography/i],
    result: permanent(
      `the source table has columns of a type change feed cannot capture (${UNSUPPORTED_TYPES}; SQL error 22737): ` +
        "change or drop those columns, or leave the table out",
    ),
  },
  {
    numbers: [22738],
    codes: [],
    wording: [/table with computed columns/i],
    result: permanent(
      "the source table has computed columns (SQL error 22738): drop them, or leave the table out",
    ),
  },
  {
    numbers: [22753],
    codes: ["LinkConnectionTableLimitExceeded"],
    wording: [
      /number of tables enabled for a change feed table group can ?not exceed/i,
      /can have at most \d[\d,]* tables/i,
    ],
    result: permanent(
      "the link connection holds as many tables as a table group may (5,000; SQL error 22753): " +
        "onboard the table into another link connection, or remove tables from this one",
    ),
  },
  {
    numbers: [22715, 22725],
    codes: [],
    wording: [/for a (temporal|ledger) history table/i],
    result: permanent(
      "the source table is a temporal or ledger history table (SQL error 22715/22725), which change feed refuses: onboard the current table instead",
    ),
  },
  {
    numbers: [22716],
    codes: [],
    wording: [/does not support columnset/i],
    result: permanent(
      "the source table has a column set (SQL error 22716), which change feed refuses: leave the table out",
    ),
  },
  {
    numbers: [22717],
    codes: [],
    wording: [/memory-optimized table cannot be enabled/i],
    result: permanent(
      "the source table is memory-optimized (SQL error 22717), which change feed refuses: leave the table out",
    ),
  },
  {
    numbers: [22722],
    codes: [],
    wording: [/table with encrypted columns/i],
    result: permanent(
      "the source table has encrypted columns (SQL error 22722), which change feed refuses: leave the table out",
    ),
  },
  {
    numbers: [],
    codes: ["SourceTableNotFound"],
    wording: [
      /source table .*(does not|doesn't) exist/i,
      /(cannot|could not|can't) find (the )?source table/i,
    ],
    result: permanent(
      "the source table does not exist in the source database: check its schema and name, or create it first",
    ),
  },
  {
    numbers: [],
    codes: ["TargetTableNotEmpty"],
    wording: [
      /target table\b.*\b(is not empty|isn't empty|not empty|non-?empty|contains (data|rows)|has (data|rows)|already (exists|contains))/i,
      /non-?empty (target )?table/i,
      /FailOnNonEmptyTable/i,
    ],
    result: { kind: "nonEmptyTarget" },
  },
];

/** The number stands alone (not part of a longer number), wherever it appears: "22720", "Msg 22720", "SqlError22720". */
function mentionsNumber(text: string, number: number): boolean {
  return new RegExp(`(?<!\\d)${number}(?!\\d)`).test(text);
}

function matches(rule: Rule, code: string, message: string, by: "number" | "code" | "wording"): boolean {
  switch (by) {
    case "number":
      return rule.numbers.some((n) => mentionsNumber(code, n) || mentionsNumber(message, n));
    case "code":
      return rule.codes.some((c) => c.toLowerCase() === code.toLowerCase());
    case "wording":
      return rule.wording.some((w) => w.test(code) || w.test(message));
  }
}

/**
 * Classifies a table failure (a `Failed` table's `errorCode`/`errorMessage`, or a refused edit's
 * code and service message). A SQL error number decides first, being the most specific; then an
 * exact code; then the wording.
 */
export function classifyTableFailure(
  code: string | undefined,
  message: string | undefined,
): TableFailureClass {
  const c = code ?? "";
  const m = message ?? "";
  for (const by of ["number", "code", "wording"] as const) {
    const rule = RULES.find((r) => matches(r, c, m, by));
    if (rule) return rule.result;
  }
  return { kind: "transient" };
}

/**
 * SQL error 22718, "… A table can only be enabled once among all table groups": the table is in
 * another link, or a removal is still being cleaned up (the documented transient after a re-add).
 */
export function isEnabledOnce(code: string | undefined, message: string | undefined): boolean {
  return classifyTableFailure(code, message).kind === "enabledElsewhere";
}
