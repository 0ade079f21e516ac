// Every non-2xx response of the service is an error body. The recorded service (the Azure CLI's link-connection
// recordings, 2022 and 2023, and the real 401 bodies) answers with the Data Factory style top-level form
// `{ code, message, target, details, error: null }`; the spec's `default` response points at the ARM CloudError
// `{ error: { code, message, target, details } }` (../../../../common/v1/types.json, not shipped). The `errorShape`
// profile picks one; the JS SDK reads both.
import type { SimProfile } from "./simProfile";

export type ErrorShape = SimProfile["errorShape"];

/** One error as the simulator decides it, before it is given a wire shape. */
export interface SimErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** The recorded top-level form (REC-22/23 404 body): every key present, `error` always null. */
export interface TopLevelCloudError {
  code: string;
  message: string;
  target: string | null;
  details: TopLevelCloudError[] | null;
  error: null;
}

/** The ARM CloudError form the spec names. */
export interface WrappedCloudError {
  error: { code: string; message: string; target?: string; details?: WrappedCloudError[] };
}

export type CloudError = TopLevelCloudError | WrappedCloudError;

/**
 * JSON schema of an error body, substituted for the spec's external CloudError $ref when the spec is loaded: either
 * form is accepted (the real service sends the top-level one, the spec names the wrapped one).
 */
export const cloudErrorSchema = {
  anyOf: [
    {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        target: { type: ["string", "null"] },
        details: {
          anyOf: [{ type: "null" }, { type: "array", items: { $ref: "#/definitions/CloudError" } }],
        },
        error: { type: "null" },
      },
    },
    {
      type: "object",
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["code", "message"],
          properties: {
            code: { type: "string" },
            message: { type: "string" },
            target: { type: "string" },
            details: { type: "array", items: { $ref: "#/definitions/CloudError" } },
          },
        },
      },
    },
  ],
} as const;

function topLevel(error: SimErrorDetail, details?: SimErrorDetail[]): TopLevelCloudError {
  return {
    code: error.code,
    message: error.message,
    target: error.target ?? null,
    details: details === undefined ? null : details.map((d) => topLevel(d)),
    error: null,
  };
}

function wrapped(error: SimErrorDetail, details?: SimErrorDetail[]): WrappedCloudError {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.target === undefined ? {} : { target: error.target }),
      ...(details === undefined ? {} : { details: details.map((d) => wrapped(d)) }),
    },
  };
}

/** The wire body of an error in the given shape. */
export function errorBody(shape: ErrorShape, error: SimErrorDetail, details?: SimErrorDetail[]): CloudError {
  return shape === "wrapped" ? wrapped(error, details) : topLevel(error, details);
}

/** Thrown by request handling to answer with an error body; anything else thrown becomes a 500. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: SimErrorDetail[],
    readonly target?: string,
  ) {
    super(message);
    this.name = "SimHttpError";
  }

  body(shape: ErrorShape): CloudError {
    return errorBody(
      shape,
      {
        code: this.code,
        message: this.message,
        ...(this.target === undefined ? {} : { target: this.target }),
      },
      this.details,
    );
  }
}

export function badRequest(code: string, message: string, target?: string): SimHttpError {
  return new SimHttpError(400, code, message, undefined, target);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** code / message / target / details of an error body in either shape (undefined when it is neither). For tests. */
export function readCloudError(
  body: unknown,
): { code: string; message: string; target?: string; details: SimErrorDetail[] } | undefined {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : body;
  if (!isRecord(inner) || typeof inner.code !== "string" || typeof inner.message !== "string")
    return undefined;
  const details = Array.isArray(inner.details) ? inner.details : [];
  return {
    code: inner.code,
    message: inner.message,
    ...(typeof inner.target === "string" ? { target: inner.target } : {}),
    details: details.flatMap((d) => {
      const read = readCloudError(d);
      return read === undefined
        ? []
        : [
            {
              code: read.code,
              message: read.message,
              ...(read.target === undefined ? {} : { target: read.target }),
            },
          ];
    }),
  };
}
