// JSON schemas for what the control endpoint (and the programmatic API) accepts: a SimFault, a SimSeed, a clock
// change. Checked with ajv so a bad fault or seed is rejected with every bad field named instead of half-applied.
import Ajv from "ajv";
import type { SimFault, SimSeed } from "./publicTypes";

const operations = { type: "array", items: { type: "string", minLength: 1 } };
const positiveInt = { type: "integer", minimum: 1 };
const identifier = { type: "string", minLength: 1 };

const faultSchema = {
  oneOf: [
    {
      type: "object",
      required: ["kind", "status"],
      additionalProperties: false,
      properties: {
        kind: { const: "status" },
        status: { enum: [409, 429, 500, 503] },
        retryAfterSeconds: { type: "integer", minimum: 0 },
        everyNth: positiveInt,
        times: positiveInt,
        operations,
      },
    },
    {
      type: "object",
      required: ["kind", "ms"],
      additionalProperties: false,
      properties: { kind: { const: "latency" }, ms: { type: "integer", minimum: 0 }, operations },
    },
    {
      type: "object",
      required: ["kind"],
      additionalProperties: false,
      properties: { kind: { const: "reset" }, times: positiveInt, operations },
    },
    {
      type: "object",
      required: ["kind", "schema", "name"],
      additionalProperties: false,
      properties: {
        kind: { const: "tableFailure" },
        schema: identifier,
        name: identifier,
        errorCode: identifier,
        errorMessage: identifier,
        times: positiveInt,
      },
    },
  ],
};

const linkedServiceReference = {
  type: "object",
  required: ["referenceName"],
  additionalProperties: false,
  properties: { referenceName: { type: "string", minLength: 1 }, parameters: { type: "object" } },
};

const seedSchema = {
  type: "object",
  required: ["links", "sourceTables"],
  additionalProperties: false,
  properties: {
    links: {
      type: "array",
      items: {
        type: "object",
        required: ["name"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: "^[^/?#]+$" },
          status: { enum: ["Initial", "Running", "Stopped", "Paused"] },
          actionOnExistingTargetTable: {
            enum: ["FailOnNonEmptyTable", "DropAndRecreateTable", "MergeWithExistingData"],
          },
          tables: {
            type: "array",
            items: {
              type: "object",
              required: ["schema", "name"],
              additionalProperties: false,
              properties: { schema: identifier, name: identifier, id: identifier },
            },
          },
          targetLinkedService: linkedServiceReference,
        },
      },
    },
    linkedServices: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "properties"],
        additionalProperties: false,
        properties: { name: { type: "string", minLength: 1 }, properties: { type: "object" } },
      },
    },
    sourceTables: {
      type: "array",
      items: {
        type: "object",
        required: ["schema", "name"],
        additionalProperties: false,
        properties: {
          schema: identifier,
          name: identifier,
          primaryKey: { type: "array", items: identifier },
          unsupportedColumns: { type: "array", items: identifier },
        },
      },
    },
    targetTables: {
      type: "array",
      items: {
        type: "object",
        required: ["schema", "name", "rowCount"],
        additionalProperties: false,
        properties: { schema: identifier, name: identifier, rowCount: { type: "integer", minimum: 0 } },
      },
    },
  },
};

export interface ClockChange {
  /** Move the sim clock forward by this many ms. */
  advanceMs?: number;
  /** Change the time scale from now on (only for the default, scaled real-time clock). */
  timeScale?: number;
}

const clockChangeSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    advanceMs: { type: "number", minimum: 0 },
    timeScale: { type: "number", exclusiveMinimum: 0 },
  },
};

const ajv = new Ajv({ allErrors: true });
const validateFault = ajv.compile<SimFault>(faultSchema);
const validateSeed = ajv.compile<SimSeed>(seedSchema);
const validateClockChange = ajv.compile<ClockChange>(clockChangeSchema);

export class ControlInputError extends Error {
  constructor(what: string, problems: string[]) {
    super(`Invalid ${what}: ${problems.join("; ")}`);
    this.name = "ControlInputError";
  }
}

function problems(errors: typeof validateFault.errors): string[] {
  return (errors ?? []).map((e) =>
    `${e.instancePath === "" ? "(root)" : e.instancePath} ${e.message ?? ""}`.trim(),
  );
}

export function parseFault(input: unknown): SimFault {
  if (!validateFault(input)) throw new ControlInputError("fault", problems(validateFault.errors));
  return input;
}

export function parseSeed(input: unknown): SimSeed {
  if (!validateSeed(input)) throw new ControlInputError("seed", problems(validateSeed.errors));
  return input;
}

export function parseClockChange(input: unknown): ClockChange {
  if (!validateClockChange(input))
    throw new ControlInputError("clock change", problems(validateClockChange.errors));
  return input;
}
