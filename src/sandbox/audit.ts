/**
 * The audit family's HTTP handlers: the paged GET /audit/events (nextLink while more remain) and
 * the queued POST /export/audit/events. Filter validation and cursors live here; the events come
 * from audit-data.ts via the org.
 */
import { actorsOf, AUDIT_DAYS, type AuditFilters, matchesFilters, publicEvent, SESSION_TYPES, type SessionType } from "./audit-data.js";
import { DAY_MS, compactDateTime, parseIsoDate } from "./calendar.js";
import { auditError } from "./errors.js";
import { queueExport } from "./export.js";
import { parseJsonBody } from "./http-util.js";
import type { Reply, RequestContext } from "./types.js";

export const AUDIT_LIMIT_DEFAULT = 100;
export const AUDIT_LIMIT_MAX = 1000;

type FilterResult = { ok: true; filters: AuditFilters } | { ok: false; reply: Reply };

/** Validate filters from a query string or JSON body (values already strings or numbers). */
export function parseFilters(raw: Record<string, unknown>, now: number): FilterResult {
  const bad = (target: string, message: string): FilterResult => ({
    ok: false,
    reply: auditError(400, "bad_request", message, target, `Invalid value for ${target}`),
  });
  const f: AuditFilters = { from: now - AUDIT_DAYS * DAY_MS, to: now };
  for (const key of ["actorId", "impersonatingActorId"] as const) {
    const v = raw[key];
    if (v === undefined || v === null || v === "") continue;
    const s = String(v);
    if (!/^\d+$/.test(s)) return bad(key, `${key} must be an integer`);
    f[key] = s;
  }
  if (raw.sessionId !== undefined && raw.sessionId !== null && raw.sessionId !== "") {
    const s = String(raw.sessionId);
    if (s.length > 36) return bad("sessionId", "sessionId must be a UUID");
    f.sessionId = s;
  }
  if (raw.sessionType !== undefined && raw.sessionType !== null && raw.sessionType !== "") {
    const s = String(raw.sessionType).toUpperCase();
    if (!SESSION_TYPES.includes(s as SessionType)) return bad("sessionType", "sessionType must be one of WEB, IOS, ANDROID");
    f.sessionType = s as SessionType;
  }
  if (raw.event !== undefined && raw.event !== null && raw.event !== "") f.event = String(raw.event);
  if (raw.dateFrom !== undefined && raw.dateFrom !== null && raw.dateFrom !== "") {
    const ms = parseIsoDate(String(raw.dateFrom));
    if (ms === null) return bad("dateFrom", "dateFrom must be an ISO 8601 date or date-time");
    f.from = ms;
  }
  if (raw.dateTo !== undefined && raw.dateTo !== null && raw.dateTo !== "") {
    const ms = parseIsoDate(String(raw.dateTo), true);
    if (ms === null) return bad("dateTo", "dateTo must be an ISO 8601 date or date-time");
    f.to = Math.min(ms, now);
  }
  if (f.from > f.to) return bad("dateFrom", "dateFrom must not be after dateTo");
  return { ok: true, filters: f };
}

const FILTER_KEYS = ["actorId", "impersonatingActorId", "sessionId", "sessionType", "dateFrom", "dateTo", "event"] as const;

interface Cursor {
  o: number; // offset into the filtered list
  f: number; // resolved from
  t: number; // resolved to (frozen at the first page so paging is stable)
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function decodeCursor(s: string): Cursor | null {
  try {
    const c = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Partial<Cursor>;
    if (typeof c.o === "number" && typeof c.f === "number" && typeof c.t === "number" && c.o >= 0) return c as Cursor;
  } catch {
    // fall through
  }
  return null;
}

/** GET /audit/events */
export function listAuditEvents(ctx: RequestContext): Reply {
  const q = ctx.query;
  let limit = AUDIT_LIMIT_DEFAULT;
  const rawLimit = q.get("limit");
  if (rawLimit !== null) {
    limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > AUDIT_LIMIT_MAX) {
      return auditError(400, "bad_request", "limit must be an integer between 1 and 1000", "limit", `Invalid limit: ${rawLimit.slice(0, 32)}`);
    }
  }
  const raw: Record<string, unknown> = {};
  for (const k of FILTER_KEYS) {
    const v = q.get(k);
    if (v !== null) raw[k] = v;
  }
  const parsed = parseFilters(raw, ctx.now);
  if (!parsed.ok) return parsed.reply;
  const filters = parsed.filters;
  let offset = 0;
  const rawCursor = q.get("cursor");
  if (rawCursor !== null) {
    const c = decodeCursor(rawCursor);
    if (!c) return auditError(400, "bad_request", "cursor is invalid", "cursor", "The cursor is not one this API issued");
    offset = c.o;
    filters.from = c.f;
    filters.to = c.t;
  }
  const data = ctx.state.org.audit();
  const matching = data.events.filter((e) => matchesFilters(e, filters));
  const page = matching.slice(offset, offset + limit);
  const body: Record<string, unknown> = {};
  if (offset + limit < matching.length) {
    const next = new URLSearchParams();
    next.set("limit", String(limit));
    for (const k of FILTER_KEYS) {
      const v = q.get(k);
      if (v !== null) next.set(k, v);
    }
    next.set("cursor", encodeCursor({ o: offset + limit, f: filters.from, t: filters.to }));
    body.nextLink = `${ctx.origin}/v4/audit/events?${next.toString()}`;
  } else {
    body.nextLink = null;
  }
  body.items = page.map(publicEvent);
  body.actors = actorsOf(page, data.actors);
  return { status: 200, json: body };
}

/** POST /export/audit/events */
export function exportAuditEvents(ctx: RequestContext): Reply {
  const parsedBody = parseJsonBody(ctx.body);
  if (!parsedBody.ok || (parsedBody.value !== undefined && (typeof parsedBody.value !== "object" || parsedBody.value === null || Array.isArray(parsedBody.value)))) {
    return auditError(400, "bad_request", "The request body was malformed", "body", "Expected a JSON object");
  }
  const body = (parsedBody.value ?? {}) as Record<string, unknown>;
  const parsed = parseFilters(body, ctx.now);
  if (!parsed.ok) return parsed.reply;
  const filters = parsed.filters;
  const org = ctx.state.org;
  return queueExport(ctx, {
    module: "AUDIT",
    title: "Audit Events Export",
    fileName: `clari_export_audit_events_${compactDateTime(ctx.now)}.json`,
    fileType: "JSON",
    currency: "USD",
    produce: () => {
      const data = org.audit();
      const items = data.events.filter((e) => matchesFilters(e, filters));
      return {
        contentType: "application/json",
        body: JSON.stringify({ items: items.map(publicEvent), actors: actorsOf(items, data.actors) }),
      };
    },
  }, 202);
}
