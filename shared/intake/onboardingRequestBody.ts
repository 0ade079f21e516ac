import { z } from "zod";
import { DISTRIBUTIONS, STRUCTURES } from "../domain/tableTarget";
import { tableKey } from "../domain/tableName";
import type { FieldError } from "./refusals";
import { linkConnectionName, MAX_CALLBACK_URL_CHARS, sqlIdentifier, workspaceName } from "./identifiers";

export const MAX_TABLES_PER_REQUEST = 500;

const target = z
  .strictObject({
    schema: sqlIdentifier.optional(),
    name: sqlIdentifier.optional(),
    distribution: z.enum(DISTRIBUTIONS).optional(),
    distributionColumn: sqlIdentifier.optional(),
    structure: z.enum(STRUCTURES).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.distribution === "Hash" && t.distributionColumn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["distributionColumn"],
        message: "is required when distribution is Hash",
      });
    }
    if (t.distribution !== "Hash" && t.distributionColumn !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["distributionColumn"],
        message: "is only allowed with distribution Hash",
      });
    }
  });

const table = z.strictObject({ schema: sqlIdentifier, name: sqlIdentifier, target: target.optional() });

/**
 * `POST /api/onboarding` body (docs/api.md#onboarding-request). Unknown fields are refused so typos
 * surface.
 */
export const onboardingRequestBodySchema = z
  .strictObject({
    workspace: workspaceName.optional(),
    linkConnection: linkConnectionName,
    tables: z
      .array(table)
      .min(1, { message: "must list at least one table" })
      .max(MAX_TABLES_PER_REQUEST, { message: `must list at most ${MAX_TABLES_PER_REQUEST} tables` }),
    callbackUrl: z
      .url({ protocol: /^https$/, error: "must be an https URL" })
      // Stored as one Table storage property (64 KiB) and sent in every message about the request.
      .max(MAX_CALLBACK_URL_CHARS, { message: `must be at most ${MAX_CALLBACK_URL_CHARS} characters` })
      // eslint-disable-next-line no-control-regex -- the WHATWG parser tolerates these; a callback URL must not
      .refine((v) => !/[\u0000-\u0020\u007f-\u009f]/.test(v), {
        message: "must not contain spaces or control characters",
      })
      // z.url already refuses other schemes; this catches https:host and embedded credentials.
      .refine((v) => !/^https:/i.test(v) || (/^https:\/\//i.test(v) && !/^https:\/\/[^/]*@/i.test(v)), {
        message: "must be https://host/... without user name or password",
      })
      .optional(),
  })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.tables.forEach((t, i) => {
      const first = seen.get(tableKey(t));
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["tables", i],
          message: `duplicates tables/${first} (${t.schema}.${t.name})`,
        });
      } else {
        seen.set(tableKey(t), i);
      }
    });
  });
export type OnboardingRequestBody = z.infer<typeof onboardingRequestBodySchema>;

const pointerOf = (path: readonly PropertyKey[]) =>
  path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");

/** zod issues as JSON Pointers into the body, one entry per problem (one per unknown field). */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          pointer: pointerOf([...issue.path, key]),
          detail: "is not a known field",
        }))
      : [{ pointer: pointerOf(issue.path), detail: issue.message }],
  );
}
