import { z } from "zod";
import { MAX_IDENTIFIER_LENGTH } from "../domain/tableName";
import type { FieldError } from "./refusals";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Any string that is text: an unpaired surrogate cannot be encoded into a ledger key or UTF-8. */
export const textWithoutLoneSurrogates = z
  .string({ error: "must be a string" })
  .refine((v) => !LONE_SURROGATE.test(v), { message: "must not contain unpaired surrogates" });

/** A SQL identifier as callers pass it: 1–128 characters, no control characters. */
export const sqlIdentifier = z
  .string({ error: "must be a string" })
  .min(1, { message: "must not be empty" })
  .max(MAX_IDENTIFIER_LENGTH, { message: `must be at most ${MAX_IDENTIFIER_LENGTH} characters` })
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), { message: "must not contain control characters" })
  // An unpaired surrogate is not text: the ledger's URI-encoded keys (encodeURIComponent) throw on it.
  .refine((v) => !LONE_SURROGATE.test(v), { message: "must not contain unpaired surrogates" });

/** Workspace and link connection names as the app accepts them in requests and routes. */
export const workspaceName = z
  .string({ error: "must be a string" })
  // Synapse creates workspaces with lower-case names but matches them in any case, and so does the app.
  .regex(/^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]?$/i, {
    message: "must be a Synapse workspace name (letters, digits, hyphens)",
  });

export const linkConnectionName = z
  .string({ error: "must be a string" })
  .min(1, { message: "must not be empty" })
  .max(140, { message: "must be at most 140 characters" })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_. -]*$/, { message: "must be letters, digits, _ . - or spaces" });

/** Route parameters naming a link, checked like the body's fields. */
export function invalidLinkParameters(link: { workspace: string; linkConnection: string }): FieldError[] {
  const errors: FieldError[] = [];
  const workspace = workspaceName.safeParse(link.workspace);
  if (!workspace.success)
    errors.push({ pointer: "workspace", detail: workspace.error.issues[0]?.message ?? "invalid" });
  const linkName = linkConnectionName.safeParse(link.linkConnection);
  if (!linkName.success)
    errors.push({ pointer: "linkConnection", detail: linkName.error.issues[0]?.message ?? "invalid" });
  return errors;
}

/**
 * The longest callback URL accepted. It is stored as one Table storage property (64 KiB at most)
 * and travels in the request's queue message; gateways commonly cap URLs near 2,000 characters.
 */
export const MAX_CALLBACK_URL_CHARS = 2048;
