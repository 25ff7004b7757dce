/**
 * The audit trail of tool calls as a resource, for those with the admin permission (everyone
 * else gets 403 with the scope to ask for; their own calls are in clari_query's mcp_calls): the
 * newest 100 calls, and `nextUri` for the page before them. A page URI carries the last id seen
 * in an opaque token, so paging needs no state on the server and stays put as new calls arrive.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { AUDIT_ID } from "../state/audit-trail.js";
import { invalidUri, jsonContent, variable } from "./resource-util.js";
import { AUDIT_TRAIL_PAGE_TEMPLATE, AUDIT_TRAIL_URI, auditTrailPageUri } from "./uris.js";

const PAGE_ROWS = 100;

function beforeOf(token: string): string {
  try {
    const { before } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { before?: unknown };
    if (typeof before === "string" && AUDIT_ID.test(before)) return before;
  } catch {
    // fall through
  }
  throw invalidUri(`This audit trail page link is not one this server issued; start from ${AUDIT_TRAIL_URI}.`);
}

async function readPage(uri: string, before: string | undefined, deps: Deps) {
  const rows = await deps.audit.list({ before, limit: PAGE_ROWS + 1 });
  const page = rows.slice(0, PAGE_ROWS);
  const last = page[page.length - 1];
  return jsonContent(uri, {
    keptDays: deps.config.auditDays,
    count: page.length,
    calls: page.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    ...(rows.length > PAGE_ROWS && last ? { nextUri: auditTrailPageUri(last.id) } : {}),
  });
}

export function registerAuditTrailResource(server: McpServer, deps: Deps): void {
  server.registerResource(
    "audit-trail",
    AUDIT_TRAIL_URI,
    { title: "Audit trail of tool calls", description: "Every tool call on this server, newest first, 100 per page (admin permission); follow nextUri for older ones", mimeType: "application/json" },
    (uri) => readPage(uri.href, undefined, deps),
  );
  server.registerResource(
    "audit-trail-page",
    new ResourceTemplate(AUDIT_TRAIL_PAGE_TEMPLATE, { list: undefined }),
    { title: "Audit trail page", description: "Older tool calls (from nextUri)", mimeType: "application/json" },
    (uri, variables) => readPage(uri.href, beforeOf(variable(variables, "token")), deps),
  );
}
