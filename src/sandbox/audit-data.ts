/**
 * Audit data: about 30 days of seeded events and their actors, anchored to the UTC day of the
 * clock at start, plus the pure helpers the handlers use to filter and present them. No HTTP here.
 *
 * Forecast events are not random: each `forecast.updated` / `forecast.adjusted` is one
 * week-over-week change the forecast model reports (same field, week, old and new value), made
 * by the user whose call it is or, for an adjustment, by their manager. The other events are
 * seeded noise. Impersonation follows the spec's wording: `actorId` is "the person who is
 * responsible for the changes" (the admin), `impersonatingActorId` "the person on whose behalf
 * the actor is logging in" (the user acted as), null when nobody is impersonated.
 */
import { DAY_MS, isoSeconds } from "./calendar.js";
import type { ForecastChange } from "./forecast-data.js";
import { rngFor } from "./random.js";
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

const SYSTEM_ACTOR: AuditActor = { actorType: "SYSTEM", actorId: "1", name: "Clari System", email: "system@clari.com" };
const JOB_ACTOR: AuditActor = { actorType: "JOB", actorId: "2", name: "Clari Scheduler", email: "scheduler@clari.com" };

/** Seeded user events; forecast changes come from the forecast model, not from this list. */
const USER_EVENTS = [
  "user.login",
  "user.logout",
  "forecast.viewed",
  "opportunity.viewed",
  "export.created",
  "api.accessed",
  "settings.updated",
] as const;
const USER_WEIGHTS = [14, 8, 20, 24, 4, 12, 4];
const SYSTEM_EVENTS = ["crm.sync.completed", "forecast.snapshot.created", "user.provisioned"] as const;
const JOB_EVENTS = ["export.completed", "crm.sync.started", "notification.sent"] as const;

export interface AuditData {
  /** Newest first. */
  events: AuditEvent[];
  actors: Map<string, AuditActor>;
}

/** The window the seeded log covers: AUDIT_DAYS + 1 days up to the end of the anchor day. */
export function auditWindow(anchorDay: number): { start: number; end: number } {
  const end = anchorDay + DAY_MS; // events run up to the end of the anchor day; reads filter by the clock
  return { start: end - (AUDIT_DAYS + 1) * DAY_MS, end };
}

export interface AuditSources {
  tabs: readonly string[];
  /** Forecast changes inside auditWindow(anchorDay). */
  changes: readonly ForecastChange[];
  /** Opportunity ids that views refer to. */
  oppIds: readonly string[];
}

export function generateAudit(seed: number, users: readonly SandboxUser[], anchorDay: number, sources: AuditSources): AuditData {
  const { tabs, changes, oppIds } = sources;
  const r = rngFor(seed, "audit");
  const { start, end } = auditWindow(anchorDay);
  const count = Math.max(200, Math.min(users.length * 10, 20_000));
  const actors = new Map<string, AuditActor>();
  actors.set(SYSTEM_ACTOR.actorId, SYSTEM_ACTOR);
  actors.set(JOB_ACTOR.actorId, JOB_ACTOR);
  for (const u of users) actors.set(u.actorId, { actorType: "USER", actorId: u.actorId, name: u.name, email: u.email });
  const sessions = new Map<string, { id: string; type: SessionType; ip: string }>();
  const sessionOf = (actor: AuditActor, day: number): { id: string; type: SessionType; ip: string } => {
    const key = `${actor.actorId}:${day}`;
    let session = sessions.get(key);
    if (!session) {
      const user = actor.actorType === "USER";
      session = {
        id: r.uuid(),
        type: user ? r.weighted(SESSION_TYPES, [70, 20, 10]) : "WEB",
        ip: user ? `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` : `10.0.${r.int(0, 255)}.${r.int(1, 254)}`,
      };
      sessions.set(key, session);
    }
    return session;
  };
  const admin = users[0];
  const byUserId = new Map(users.map((u) => [u.userId, u]));
  const events: AuditEvent[] = [];

  for (let i = 0; i < count; i++) {
    const time = Math.floor(r.range(start, end));
    const day = Math.floor(time / DAY_MS);
    const kind = r.weighted<ActorType>(["USER", "SYSTEM", "JOB"], [85, 10, 5]);
    let actor: AuditActor;
    let event: string;
    let impersonating: string | null = null;
    if (kind === "USER") {
      const user = r.pick(users);
      actor = actors.get(user.actorId) as AuditActor;
      event = r.weighted(USER_EVENTS, USER_WEIGHTS);
      if (admin && user !== admin && r.chance(0.03)) {
        // The admin acts on the user's behalf: actorId is the admin, impersonatingActorId the user.
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
    const session = sessionOf(actor, day);
    events.push({
      correlationID: r.uuid(),
      actorId: actor.actorId,
      impersonatingActorId: impersonating,
      actorType: kind,
      sessionId: session.id,
      ipAddress: session.ip,
      sessionType: session.type,
      event,
      eventParameters: eventParameters(r, event, tabs, oppIds),
      eventTimestamp: isoSeconds(time),
      time: Math.floor(time / 1000) * 1000,
    });
  }

  // One event per forecast change, by the person who made it, at the moment it was made.
  for (const c of changes) {
    const by = byUserId.get(c.byUserId);
    if (!by) continue;
    const actor = actors.get(by.actorId) as AuditActor;
    const session = sessionOf(actor, Math.floor(c.on / DAY_MS));
    events.push({
      correlationID: r.uuid(),
      actorId: actor.actorId,
      impersonatingActorId: null,
      actorType: "USER",
      sessionId: session.id,
      ipAddress: session.ip,
      sessionType: session.type,
      event: c.kind === "update" ? "forecast.updated" : "forecast.adjusted",
      eventParameters: {
        forecastId: c.forecastId,
        timePeriod: c.timePeriod,
        userId: c.userId,
        fieldName: c.fieldName,
        oldValue: c.oldValue,
        newValue: c.newValue,
      },
      eventTimestamp: isoSeconds(c.on),
      time: Math.floor(c.on / 1000) * 1000,
    });
  }
  events.sort((a, b) => b.time - a.time || (a.correlationID < b.correlationID ? -1 : 1));
  return { events, actors };
}

function eventParameters(
  r: ReturnType<typeof rngFor>,
  event: string,
  tabs: readonly string[],
  oppIds: readonly string[],
): Record<string, unknown> {
  switch (event) {
    case "user.login":
      return { method: r.pick(["SSO", "PASSWORD", "GOOGLE"]) };
    case "forecast.viewed":
      return { forecastId: r.pick(tabs) };
    case "opportunity.viewed":
      return { oppId: oppIds.length > 0 ? r.pick(oppIds) : r.sfid("006") };
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
