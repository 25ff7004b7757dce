/**
 * Audit events as pages an assistant can read one at a time. A page URI carries the filters and
 * Clari's nextLink in one opaque token, so following `nextUri` needs no state on the server.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/server";
import type { AuditFilters } from "../client/clari-client.js";
import type { Deps } from "../deps.js";
import { AUDIT_EVENTS_URI, AUDIT_PAGE_TEMPLATE, auditPageUri } from "./uris.js";
import { readAuditEvents } from "../exports/index.js";
import { invalidUri, jsonContent, variable } from "./resource-util.js";

interface PageToken {
  filters: AuditFilters & { limit?: number };
  nextLink?: string;
}

function parseToken(text: string): PageToken {
  try {
    const token = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as PageToken;
    if (typeof token !== "object" || token === null || typeof token.filters !== "object") throw new Error("bad token");
    return token;
  } catch {
    throw invalidUri(`This audit page link is not one this server issued; start from ${AUDIT_EVENTS_URI}.`);
  }
}

async function readPage(uri: string, token: PageToken, deps: Deps) {
  const { events: items, nextLink } = await readAuditEvents(deps, token.nextLink ? { nextLink: token.nextLink } : { limit: 100, ...token.filters }, AbortSignal.timeout(30_000));
  return jsonContent(uri, {
    filters: token.filters,
    count: items.length,
    items,
    ...(nextLink ? { nextUri: auditPageUri({ filters: token.filters, nextLink }) } : {}),
  });
}

export function registerAuditResources(server: McpServer, deps: Deps): void {
  server.registerResource(
    "audit-events",
    AUDIT_EVENTS_URI,
    { title: "Recent Clari audit events", description: "Newest audit events, 100 per page; follow nextUri for more", mimeType: "application/json" },
    (uri) => readPage(uri.href, { filters: {} }, deps),
  );
  server.registerResource(
    "audit-events-page",
    new ResourceTemplate(AUDIT_PAGE_TEMPLATE, { list: undefined }),
    { title: "Clari audit events page", description: "A further page of audit events (from nextUri)", mimeType: "application/json" },
    (uri, variables) => readPage(uri.href, parseToken(variable(variables, "token")), deps),
  );
}
