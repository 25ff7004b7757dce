/**
 * What an audit event is about, read from its event parameters, and what kind of event it is.
 * Clari documents the parameters only by example; these are the keys its forecast events carry
 * (forecastId, timePeriod, userId, fieldName, oldValue, newValue) and close spellings of them.
 * One definition, used by the query tables (audit_events) and the audit summaries alike.
 */

/** change: a person changed something; view: looked (viewed, accessed); session: logged in or out; system: SYSTEM or JOB actors. */
export type EventClass = "change" | "view" | "session" | "system";

export const EVENT_CLASS_RULE =
  "system when the actor is SYSTEM or JOB; session for login/logout; view when the event's last part is viewed, accessed, opened, searched, downloaded, read or listed; otherwise change";

const VIEW_VERBS = new Set(["viewed", "accessed", "opened", "searched", "downloaded", "read", "listed"]);
const SESSION_PART = /(^|\.)(login|logout|log_in|log_out|signin|signout|sign_in|sign_out|session)(\.|$|_)/i;

export function eventClass(event: string, actorType: string): EventClass {
  if (/^(SYSTEM|JOB)$/i.test(actorType)) return "system";
  if (SESSION_PART.test(event)) return "session";
  const last = event.slice(event.lastIndexOf(".") + 1).toLowerCase();
  return VIEW_VERBS.has(last) ? "view" : "change";
}

export interface AuditParams {
  forecastId: string | null;
  timePeriod: string | null;
  targetUserId: string | null;
  field: string | null;
  oldValue: string | null;
  newValue: string | null;
  /** newValue - oldValue when both are numbers. */
  change: number | null;
}

const KEYS = {
  forecastId: ["forecastId", "forecast_id", "forecastTabId", "tabId"],
  timePeriod: ["timePeriod", "time_period", "timePeriodId"],
  targetUserId: ["userId", "user_id", "targetUserId", "forecastUserId"],
  field: ["fieldName", "field", "fieldId"],
  oldValue: ["oldValue", "old_value", "previousValue", "from"],
  newValue: ["newValue", "new_value", "to"],
} as const;

function scalar(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function pick(params: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const key of keys) {
    const v = scalar(params[key]);
    if (v !== null) return v;
  }
  return null;
}

const number = (s: string | null): number | null => (s !== null && s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : null);

export function auditParams(params: Record<string, unknown> | null): AuditParams {
  const p = params ?? {};
  const oldValue = pick(p, KEYS.oldValue);
  const newValue = pick(p, KEYS.newValue);
  const [before, after] = [number(oldValue), number(newValue)];
  return {
    forecastId: pick(p, KEYS.forecastId),
    timePeriod: pick(p, KEYS.timePeriod),
    targetUserId: pick(p, KEYS.targetUserId),
    field: pick(p, KEYS.field),
    oldValue,
    newValue,
    change: before !== null && after !== null ? Math.round((after - before) * 100) / 100 : null,
  };
}
