import { z } from "zod";
import { auditFilterShape, auditLocalFilterShape } from "../kit/audit-filters.js";
import { filterAudit, filterWords, readAuditEvents } from "../../exports/index.js";
import { ToolInputError } from "../kit/describe-error.js";
import { defineTool } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";

/** Opaque cursors: Clari's nextLink travels as base64url so assistants pass it back untouched (the client checks where it points). */
function encodeCursor(nextLink: string): string {
  return Buffer.from(nextLink, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new ToolInputError("The cursor is not one this server issued; pass nextCursor exactly as returned, or omit it to start again.");
  return Buffer.from(cursor, "base64url").toString("utf8");
}

export const listAuditEvents = defineTool({
  name: "clari_list_audit_events",
  title: "List audit events",
  description:
    "One page of audit events (Clari keeps ~30 days) with actor names; pass nextCursor as cursor for the next page. No export quota; pages are kept for clari_query.",
  toolset: "audit",
  inputSchema: {
    ...auditFilterShape,
    ...auditLocalFilterShape,
    limit: z.number().int().min(1).max(1000).default(100),
    cursor: listedPlain(z.string().max(4000)).optional(),
  },
  outputSchema: {
    count: z.number(),
    pageCount: z.number().optional(),
    events: z.array(
      z
        .object({ eventTimestamp: z.string().nullable(), event: z.string(), actorId: z.string(), actorName: z.string() })
        .loose(),
    ),
    nextCursor: z.string().optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ cursor, limit, forecastId, changesOnly, ...filters }, deps, call) {
    const page = await readAuditEvents(deps, cursor ? { nextLink: decodeCursor(cursor) } : { ...filters, limit }, call.signal);
    // Clari's API filters by neither tab nor kind of event: those filters apply to the page it returned.
    const local = { forecastId, changesOnly };
    const words = filterWords(local);
    const events = words ? filterAudit(page.events, local) : page.events;
    const nextCursor = page.nextLink ? encodeCursor(page.nextLink) : undefined;
    const lines = events.slice(0, 10).map((e) => `${e.eventTimestamp ?? "?"} ${e.event || "?"} by ${e.actorName || e.actorId || "?"}`);
    const head = words ? `${events.length} of the page's ${page.events.length} audit events are ${words} (filtered here: Clari's API filters by neither)` : `${events.length} audit event(s)`;
    return {
      text: `${head}${events.length > 10 ? " (first 10 shown)" : ""}:\n${lines.join("\n")}${nextCursor ? "\nMore pages: pass nextCursor as cursor (with the same forecastId/changesOnly)." : "\nNo more pages."}`,
      structured: { count: events.length, ...(words ? { pageCount: page.events.length } : {}), events, ...(nextCursor ? { nextCursor } : {}) },
    };
  },
});
