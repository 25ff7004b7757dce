/**
 * Audit events (`{items, actors}` from GET /audit/events or an audit export) as flat rows with
 * the actor's name and email joined in.
 */

import { z } from "zod";
import { isRecord, parseJsonInput, text } from "./json-input.js";
import { toIsoTimestamp } from "./values.js";

export const AuditRowSchema = z.object({
  eventTimestamp: z.string().nullable().describe("ISO date-time"),
  event: z.string(),
  actorId: z.string(),
  actorName: z.string(),
  actorEmail: z.string(),
  actorType: z.string().describe("USER, SYSTEM or JOB"),
  impersonatingActorId: z.string(),
  impersonatingActorName: z.string(),
  sessionId: z.string(),
  sessionType: z.string().describe("WEB, IOS or ANDROID"),
  ipAddress: z.string(),
  correlationId: z.string(),
  eventParameters: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

interface Actor {
  name: string;
  email: string;
}

function eventParameters(v: unknown): Record<string, unknown> | null {
  if (isRecord(v)) return v;
  if (typeof v === "string" && v.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(v);
      return isRecord(parsed) ? parsed : { value: parsed };
    } catch {
      return { value: v };
    }
  }
  return null;
}

/**
 * Normalises audit events. Accepts `{items, actors}` (a page or an export file), an array of
 * such pages, or a bare array of items; as parsed JSON or as JSON text. eventTimestamp may be
 * ISO or epoch milliseconds; it comes back as ISO.
 */
export function normaliseAudit(input: unknown): AuditRow[] {
  const json = parseJsonInput(input);
  const pages: Array<{ items: unknown[]; actors: unknown[] }> = [];
  const addPage = (v: unknown) => {
    if (isRecord(v)) {
      pages.push({
        items: Array.isArray(v.items) ? v.items : [],
        actors: Array.isArray(v.actors) ? v.actors : [],
      });
    }
  };
  if (Array.isArray(json)) {
    if (json.some((x) => isRecord(x) && Array.isArray(x.items))) json.forEach(addPage);
    else pages.push({ items: json, actors: [] });
  } else addPage(json);

  const actors = new Map<string, Actor>();
  for (const page of pages) {
    for (const a of page.actors) {
      if (!isRecord(a)) continue;
      const id = text(a.actorId ?? a.id);
      if (id !== "" && !actors.has(id)) actors.set(id, { name: text(a.name), email: text(a.email) });
    }
  }

  const rows: AuditRow[] = [];
  for (const page of pages) {
    for (const item of page.items) {
      if (!isRecord(item)) continue;
      const actorId = text(item.actorId);
      const impersonatingActorId = text(item.impersonatingActorId);
      const actor = actors.get(actorId);
      rows.push({
        eventTimestamp: toIsoTimestamp(item.eventTimestamp ?? item.timestamp),
        event: text(item.event),
        actorId,
        actorName: actor?.name ?? "",
        actorEmail: actor?.email ?? "",
        actorType: text(item.actorType),
        impersonatingActorId,
        impersonatingActorName: impersonatingActorId ? (actors.get(impersonatingActorId)?.name ?? "") : "",
        sessionId: text(item.sessionId),
        sessionType: text(item.sessionType),
        ipAddress: text(item.ipAddress),
        correlationId: text(item.correlationID ?? item.correlationId),
        eventParameters: eventParameters(item.eventParameters),
      });
    }
  }
  return rows;
}
