/**
 * Audit events: about 30 days of seeded events, the paged GET /audit/events (nextLink while more
 * remain) and the queued POST /export/audit/events.
 */
import { DAY_MS, compactDateTime, isoSeconds, parseIsoDate } from "./calendar.js";
import { auditError } from "./errors.js";
import { queueExport } from "./export.js";
import { parseJsonBody } from "./http-util.js";
import { rngFor } from "./random.js";
import type { Reply, RequestContext } from "./types.js";
import type { SandboxUser } from "./users.js";

export type ActorType = "USER" | "SYSTEM" | "JOB";
export type SessionType = "WEB" | "IOS" | "ANDROID";
export const SESSION_TYPES: readonly SessionType[] = ["WEB", "IOS", "ANDROID"];

export interface AuditEvent {
  correlationID: string;
  actorId: string;
  impersonatingActorId: string | null;
  actorType: ActorType;
  sessionId: string;
  ipAddress: string;
  sessionType: SessionType;
  event: string;
  eventParameters: Record<string, unknown>;
  eventTimestamp: string; // 2017-05-03T16:22:18Z
  /** Epoch ms of eventTimestamp (not part of the API output). */
  time: number;
}

export interface AuditActor {
  actorType: ActorType;
  actorId: string;
  name: string;
  email: string;
}

export interface AuditFilters {
  actorId?: string;
  impersonatingActorId?: string;
  sessionId?: string;
  sessionType?: SessionType;
  event?: string;
  /** Inclusive epoch-ms bounds. */
  from: number;
  to: number;
}

export const AUDIT_DAYS = 30;
export const AUDIT_LIMIT_DEFAULT = 100;
export const AUDIT_LIMIT_MAX = 1000;

const SYSTEM_ACTOR: AuditActor = { actorType: "SYSTEM", actorId: "1", name: "Clari System", email: "system@clari.com" };
const JOB_ACTOR: AuditActor = { actorType: "JOB", actorId: "2", name: "Clari Scheduler", email: "scheduler@clari.com" };

const USER_EVENTS = [
  "user.login",
  "user.logout",
  "forecast.viewed",
  "forecast.updated",
  "opportunity.viewed",
  "opportunity.updated",
  "export.created",
  "api.accessed",
  "settings.updated",
] as const;
const USER_WEIGHTS = [14, 8, 20, 14, 14, 10, 4, 12, 4];
const SYSTEM_EVENTS = ["crm.sync.completed", "forecast.snapshot.created", "user.provisioned"] as const;
const JOB_EVENTS = ["export.completed", "crm.sync.started", "notification.sent"] as const;

export interface AuditData {
  /** Newest first. */
  events: AuditEvent[];
  actors: Map<string, AuditActor>;
}

export function generateAudit(seed: number, users: readonly SandboxUser[], anchorDay: number, tabs: readonly string[]): AuditData {
  const r = rngFor(seed, "audit");
  const end = anchorDay + DAY_MS; // events run up to the end of the anchor day; reads filter by the clock
  const start = end - (AUDIT_DAYS + 1) * DAY_MS;
  const count = Math.max(200, Math.min(users.length * 10, 20_000));
  const actors = new Map<string, AuditActor>();
  actors.set(SYSTEM_ACTOR.actorId, SYSTEM_ACTOR);
  actors.set(JOB_ACTOR.actorId, JOB_ACTOR);
  for (const u of users) actors.set(u.actorId, { actorType: "USER", actorId: u.actorId, name: u.name, email: u.email });
  const sessions = new Map<string, { id: string; type: SessionType; ip: string }>();
  const admin = users[0];
  const events: AuditEvent[] = [];

  for (let i = 0; i < count; i++) {
    const time = Math.floor(r.range(start, end));
    const day = Math.floor(time / DAY_MS);
    const kind = r.weighted<ActorType>(["USER", "SYSTEM", "JOB"], [85, 10, 5]);
    let actor: AuditActor;
    let event: string;
    let impersonating: string | null = null;
    let user: SandboxUser | undefined;
    if (kind === "USER") {
      user = r.pick(users);
      actor = actors.get(user.actorId) as AuditActor;
      event = r.weighted(USER_EVENTS, USER_WEIGHTS);
      if (admin && user !== admin && r.chance(0.03)) {
        // An admin acting on behalf of the user.
        impersonating = user.actorId;
        actor = actors.get(admin.actorId) as AuditActor;
      }
    } else if (kind === "SYSTEM") {
      actor = SYSTEM_ACTOR;
      event = r.pick(SYSTEM_EVENTS);
    } else {
      actor = JOB_ACTOR;
      event = r.pick(JOB_EVENTS);
    }
    const sessionKey = `${actor.actorId}:${day}`;
    let session = sessions.get(sessionKey);
    if (!session) {
      session = {
        id: r.uuid(),
        type: kind === "USER" ? r.weighted(SESSION_TYPES, [70, 20, 10]) : "WEB",
        ip: kind === "USER" ? `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` : `10.0.${r.int(0, 255)}.${r.int(1, 254)}`,
      };
      sessions.set(sessionKey, session);
    }
    events.push({
      correlationID: r.uuid(),
      actorId: actor.actorId,
      impersonatingActorId: impersonating,
      actorType: kind,
      sessionId: session.id,
      ipAddress: session.ip,
      sessionType: session.type,
      event,
      eventParameters: eventParameters(r, event, user, tabs),
      eventTimestamp: isoSeconds(time),
      time: Math.floor(time / 1000) * 1000,
    });
  }
  events.sort((a, b) => b.time - a.time || (a.correlationID < b.correlationID ? -1 : 1));
  return { events, actors };
}

function eventParameters(
  r: ReturnType<typeof rngFor>,
  event: string,
  user: SandboxUser | undefined,
  tabs: readonly string[],
): Record<string, unknown> {
  switch (event) {
    case "user.login":
      return { method: r.pick(["SSO", "PASSWORD", "GOOGLE"]) };
    case "forecast.viewed":
      return { forecastId: r.pick(tabs) };
    case "forecast.updated": {
      const oldValue = r.int(50, 2000) * 1000;
      return {
        forecastId: r.pick(tabs),
        fieldName: r.pick(["Commit", "Most Likely", "Best Case"]),
        oldValue,
        newValue: Math.round(oldValue * r.range(0.7, 1.4)),
        userId: user?.userId,
      };
    }
    case "opportunity.viewed":
      return { oppId: r.sfid("006") };
    case "opportunity.updated":
      return { oppId: r.sfid("006"), field: r.pick(["Amount", "StageName", "CloseDate"]) };
    case "export.created":
    case "export.completed":
      return { jobId: r.hex(24), module: r.pick(["FORECAST", "AUDIT", "ACTIVITY"]) };
    case "api.accessed":
      return {
        method: r.pick(["GET", "POST"]),
        path: r.pick(["/v4/export/jobs", "/v4/admin/limits", "/v4/opportunity", "/v4/audit/events"]),
        statusCode: r.weighted([200, 202, 400, 429], [80, 10, 6, 4]),
      };
    case "settings.updated":
      return { setting: r.pick(["notifications", "timezone", "currency"]) };
    case "crm.sync.completed":
    case "crm.sync.started":
      return { objects: r.int(10, 5000), durationMs: r.int(1000, 600000) };
    default:
      return {};
  }
}

export function matchesFilters(e: AuditEvent, f: AuditFilters): boolean {
  if (e.time < f.from || e.time > f.to) return false;
  if (f.actorId !== undefined && e.actorId !== f.actorId) return false;
  if (f.impersonatingActorId !== undefined && e.impersonatingActorId !== f.impersonatingActorId) return false;
  if (f.sessionId !== undefined && e.sessionId !== f.sessionId) return false;
  if (f.sessionType !== undefined && e.sessionType !== f.sessionType) return false;
  if (f.event !== undefined && e.event !== f.event && !e.event.startsWith(`${f.event}.`)) return false;
  return true;
}

/** The API form of an event (without the internal time). */
export function publicEvent(e: AuditEvent): Omit<AuditEvent, "time"> {
  const { time: _time, ...rest } = e;
  return rest;
}

export function actorsOf(items: readonly AuditEvent[], actors: ReadonlyMap<string, AuditActor>): AuditActor[] {
  const ids = new Set<string>();
  for (const e of items) {
    ids.add(e.actorId);
    if (e.impersonatingActorId) ids.add(e.impersonatingActorId);
  }
  return [...ids].flatMap((id) => {
    const a = actors.get(id);
    return a ? [a] : [];
  });
}

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
