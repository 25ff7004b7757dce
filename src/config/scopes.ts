/**
 * What a caller may do on this server, in this server's own words: the permissions a signed-in
 * person's token grants (src/transports/auth maps the identity provider's scope names onto these),
 * and the one rule saying which of them each tool needs.
 *
 * - read: lookups, questions and stored exports (reading changes nothing and spends no quota);
 * - export: the tools that queue a Clari export and so spend the org's monthly quota;
 * - cancel: cancelling a Clari job;
 * - ingest: the partner ingest tools (pushing data into Clari, and reading back their jobs);
 * - admin: what concerns everyone's calls: the audit trail (clari://audit-trail, and everyone's rows
 *   of clari_query's mcp_calls); no tool needs it.
 *
 * A broader permission implies the narrower one it is built on (the MCP authorization spec asks
 * servers to honour such hierarchies): export, cancel and admin imply read. Ingest does not: a
 * partner integration pushing data need not read the forecast.
 */
import type { AuthInfo } from "@modelcontextprotocol/server";

export const SCOPES = ["read", "export", "cancel", "ingest", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

const IMPLIES: Record<Scope, readonly Scope[]> = { read: [], export: ["read"], cancel: ["read"], ingest: [], admin: ["read"] };

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The permissions granted, with those they imply, in SCOPES order. */
export function withImplied(granted: Iterable<Scope>): Scope[] {
  const all = new Set<Scope>();
  for (const scope of granted) {
    all.add(scope);
    for (const implied of IMPLIES[scope]) all.add(implied);
  }
  return SCOPES.filter((s) => all.has(s));
}

/** What a tool's definition says about it, as far as permissions go. */
export interface ToolTraits {
  toolset: string;
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean };
  writesClariData: boolean;
}

/**
 * The permission a tool needs, from its definition alone: the ingest toolset needs ingest; a tool
 * that changes Clari data destructively (cancelling a job) needs cancel; any other tool that is not
 * read-only queues an export and so needs export; everything else needs read.
 */
export function requiredScope(tool: ToolTraits): Scope {
  if (tool.toolset === "ingest") return "ingest";
  if (tool.writesClariData || tool.annotations.destructiveHint) return "cancel";
  if (!tool.annotations.readOnlyHint) return "export";
  return "read";
}

/**
 * Whether the caller may use something needing `scope`. A request with no authInfo (stdio, or an
 * HTTP server on loopback without tokens) may do everything, as may a static bearer token whose
 * entry names no permissions (its authInfo carries every scope); a static token whose entry names
 * some, and a signed-in person's token, carry what they grant.
 */
export function allows(authInfo: Pick<AuthInfo, "scopes"> | undefined, scope: Scope): boolean {
  return authInfo === undefined || authInfo.scopes.includes(scope);
}
