// Every non-2xx response of the service is a CloudError (the spec's `default` response). The spec points at
// ../../../../common/v1/types.json, which is not shipped; this is the shape the SDK's CloudError mapper reads
// (error.code, error.message, error.target, error.details: CloudError[]).

export interface CloudError {
  error: { code: string; message: string; target?: string; details?: CloudError[] };
}

/** JSON schema of CloudError, substituted for the spec's external $ref when the spec is loaded. */
export const cloudErrorSchema = {
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
} as const;

/** Thrown by request handling to answer with a CloudError; anything else thrown becomes a 500. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: CloudError[],
    readonly target?: string,
  ) {
    super(message);
    this.name = "SimHttpError";
  }

  toCloudError(): CloudError {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target === undefined ? {} : { target: this.target }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function badRequest(code: string, message: string, target?: string): SimHttpError {
  return new SimHttpError(400, code, message, undefined, target);
}
