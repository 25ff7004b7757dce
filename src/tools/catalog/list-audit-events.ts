import { z } from "zod";
import { auditFilterShape } from "../kit/audit-filters.js";
import { readAuditEvents } from "../../exports/index.js";
import { ToolInputError } from "../kit/describe-error.js";
import { defineTool } from "../kit/define-tool.js";

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
    "One page of audit events (Clari keeps ~30 days) with actor names; pass nextCursor as cursor for the next page. No export quota.",
  toolset: "audit",
  inputSchema: {
    ...auditFilterShape,
    limit: z.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(4000).optional(),
  },
  outputSchema: {
    count: z.number(),
    events: z.array(
      z
        .object({ eventTimestamp: z.string().nullable(), event: z.string(), actorId: z.string(), actorName: z.string() })
        .loose(),
    ),
    nextCursor: z.string().optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ cursor, limit, ...filters }, deps, call) {
    const { events, nextLink } = await readAuditEvents(deps, cursor ? { nextLink: decodeCursor(cursor) } : { ...filters, limit }, call.signal);
    const nextCursor = nextLink ? encodeCursor(nextLink) : undefined;
    const lines = events.slice(0, 10).map((e) => `${e.eventTimestamp ?? "?"} ${e.event || "?"} by ${e.actorName || e.actorId || "?"}`);
    return {
      text: `${events.length} audit event(s)${events.length > 10 ? " (first 10 shown)" : ""}:\n${lines.join("\n")}${nextCursor ? "\nMore pages: pass nextCursor as cursor." : "\nNo more pages."}`,
      structured: { count: events.length, events, ...(nextCursor ? { nextCursor } : {}) },
    };
  },
});
