import { z } from "zod";
import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import { DISTRIBUTIONS, STRUCTURES, type TargetDefaults } from "../domain/tableTarget";
import { isValidTablePattern, tablePatternMatches } from "./tablePattern";

const pattern = z
  .string()
  .refine(isValidTablePattern, { message: "must look like schema.table (* allowed)" });

/** One entry of `ROUTING_RULES`: which tables of which source go to which link, with what target defaults. */
export const routingRuleSchema = z.strictObject({
  /** `/sql/servers/{server}/databases/{database}`; rules without one apply to webhook requests only. */
  source: z
    .string()
    .regex(/^\/sql\/servers\/[^/]+\/databases\/[^/]+$/, {
      message: "must look like /sql/servers/{server}/databases/{database}",
    })
    .optional(),
  workspace: z.string().min(1),
  linkConnection: z.string().min(1),
  include: z.array(pattern).min(1).default(["*.*"]),
  exclude: z.array(pattern).default([]),
  target: z
    .strictObject({
      distribution: z.enum(DISTRIBUTIONS).optional(),
      structure: z.enum(STRUCTURES).optional(),
    })
    .optional(),
});
export type RoutingRule = z.infer<typeof routingRuleSchema>;
export const routingRulesSchema = z.array(routingRuleSchema);

/** `workspace/link` or `workspace/*` entries of `ALLOWED_LINKS`. */
export interface LinkPattern {
  workspace: string;
  /** `*` for every link of the workspace. */
  linkConnection: string;
}

export interface Routing {
  rules: RoutingRule[];
  allowedLinks: LinkPattern[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A link may be touched when the allow-list names it or a routing rule targets it. */
export function isLinkAllowed(routing: Routing, link: LinkRef): boolean {
  return (
    routing.allowedLinks.some(
      (p) =>
        same(p.workspace, link.workspace) &&
        (p.linkConnection === "*" || same(p.linkConnection, link.linkConnection)),
    ) ||
    routing.rules.some(
      (r) => same(r.workspace, link.workspace) && same(r.linkConnection, link.linkConnection),
    )
  );
}

/** Target defaults of the first rule for the link, if any. */
export function targetDefaultsFor(routing: Routing, link: LinkRef, fallback: TargetDefaults): TargetDefaults {
  const rule = routing.rules.find(
    (r) => same(r.workspace, link.workspace) && same(r.linkConnection, link.linkConnection),
  );
  const structure = rule?.target?.structure ?? fallback.structure;
  return {
    distribution: rule?.target?.distribution ?? fallback.distribution,
    ...(structure !== undefined ? { structure } : {}),
  };
}

/** The first rule whose source and patterns match a schema-change event's table. */
export function routeTable(routing: Routing, source: string, table: TableName): RoutingRule | undefined {
  return routing.rules.find(
    (r) =>
      r.source !== undefined &&
      same(r.source, source) &&
      r.include.some((p) => tablePatternMatches(p, table)) &&
      !r.exclude.some((p) => tablePatternMatches(p, table)),
  );
}
