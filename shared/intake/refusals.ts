import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";

/** One invalid field of a request: a JSON Pointer into the body, or a header or route parameter name. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/**
 * Why an intake use case refused a request. The use cases return these as values and never decide
 * how they look on the wire: the HTTP triggers map each kind to a status and a problem type in one
 * table (`functions/httpProblems.ts`).
 */
export type Refusal =
  | { kind: "unsupportedMediaType"; contentType: string | undefined }
  | { kind: "bodyTooLarge"; bytes: number; limit: number }
  | {
      kind: "signatureInvalid";
      header: "webhook-id" | "webhook-timestamp" | "webhook-signature";
      reason: string;
    }
  | { kind: "malformedJson"; reason: string }
  /** Fields of the body (JSON Pointers) or headers. */
  | { kind: "invalidFields"; errors: FieldError[] }
  | { kind: "workspaceRequired"; configured: readonly string[] }
  /** Route parameters naming a link. */
  | { kind: "invalidParameters"; errors: FieldError[] }
  /** The `{schema}.{table}` route parameter. */
  | { kind: "tableNotQualified" }
  /** `namedIn`: where the caller named the link (a link named in the body is refused naming the settings). */
  | { kind: "linkNotAllowed"; link: LinkRef; namedIn: "body" | "route" }
  | { kind: "linkNotFound"; link: LinkRef }
  | { kind: "requestNotFound"; requestId: string }
  | { kind: "tableNotLinked"; link: LinkRef; table: TableName }
  | { kind: "tableNotDetached"; link: LinkRef; table: TableName }
  /** A signed detach/attach whose webhook-id was already used for another operation or table. */
  | { kind: "webhookIdReused"; webhookId: string; requestId: string }
  /** The request's queue message would not fit a Storage queue message. */
  | { kind: "messageTooLarge"; bytes: number; limit: number; tables: number };

export type RefusalKind = Refusal["kind"];

/** A use case's answer when it refuses; `K` lists the refusals that use case can give. */
export interface Refused<K extends RefusalKind = RefusalKind> {
  kind: "refused";
  refusal: Extract<Refusal, { kind: K }>;
}

export function refused<R extends Refusal>(refusal: R): { kind: "refused"; refusal: R } {
  return { kind: "refused", refusal };
}
