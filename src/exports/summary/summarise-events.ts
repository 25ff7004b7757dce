/**
 * Audit and activity exports: their rows (for paging) and a bounded summary (for tool results).
 * An audit summary names every event type (the rarest as "and N more" past the limit), counts the
 * most active people by their changes only (views, logins and system events are no activity of
 * note) and the changes per forecast tab, by the definitions of read/audit-params.ts that the
 * query tables use too.
 */
import { auditParams, eventClass } from "../read/audit-params.js";
import { normaliseActivities } from "../read/normalise-activity.js";
import { normaliseAudit, type AuditRow } from "../read/normalise-audit.js";
import type { ActivitySummary, AuditSummary } from "./summary-schemas.js";
import type { Summarised } from "./summarised.js";

type Row = Record<string, unknown>;

/** Filters applied here to what Clari returned (its API filters by neither). */
export interface AuditFilter {
  /** Only events about this forecast tab (parameter forecastId). */
  forecastId?: string | undefined;
  /** Only changes (no views, logins or system events). */
  changesOnly?: boolean | undefined;
}

/** Normalised rows of an audit or activity export file. */
export function eventRows(kind: "audit" | "activity", json: unknown): Row[] {
  return (kind === "audit" ? normaliseAudit(json) : normaliseActivities(json)) as unknown as Row[];
}

/** The audit rows that pass the filter. */
export function filterAudit<R extends Pick<AuditRow, "event" | "actorType" | "eventParameters">>(rows: readonly R[], filter: AuditFilter): R[] {
  return rows.filter(
    (r) => (!filter.changesOnly || eventClass(r.event, r.actorType) === "change") && (filter.forecastId === undefined || auditParams(r.eventParameters).forecastId === filter.forecastId),
  );
}

/** The words for a filter ("changes to net_bookings"), or "" without one. */
export function filterWords(filter: AuditFilter): string {
  const what = filter.changesOnly ? "changes" : "events";
  return filter.forecastId !== undefined ? `${what} about tab ${filter.forecastId}` : filter.changesOnly ? what : "";
}

const MAX_TYPES = 20;

function counts<R>(rows: readonly R[], key: (row: R) => string | undefined | null): Array<{ name: string; count: number }> {
  const out = new Map<string, number>();
  for (const row of rows) {
    const k = key(row);
    if (k) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, count]) => ({ name, count }));
}

function dateRange(rows: Row[], field: string): { from?: string; to?: string } {
  const dates = rows.map((r) => r[field]).filter((d): d is string => typeof d === "string" && d !== "").sort();
  return dates.length ? { from: dates[0], to: dates[dates.length - 1] } : {};
}

const fmt = (items: Array<{ name: string; count: number }>): string => items.map((i) => `${i.name} ${i.count}`).join(", ") || "none";

/** The first `n`, and "and K more (M events)" for the rest. */
function capped(items: Array<{ name: string; count: number }>, n: number, unit: string): string {
  const rest = items.slice(n);
  const more = rest.length > 0 ? `, and ${rest.length} more (${rest.reduce((s, i) => s + i.count, 0)} ${unit})` : "";
  return `${fmt(items.slice(0, n))}${more}`;
}

function summariseAudit(all: AuditRow[], filter: AuditFilter): Summarised<AuditSummary> {
  const rows = filterAudit(all, filter);
  const classes = counts(rows, (r) => eventClass(r.event, r.actorType));
  const changes = rows.filter((r) => eventClass(r.event, r.actorType) === "change");
  const byEvent = counts(rows, (r) => r.event);
  const byActor = counts(changes, (r) => r.actorName || r.actorEmail || r.actorId).slice(0, 8);
  const byTab = counts(changes, (r) => auditParams(r.eventParameters).forecastId);
  const range = dateRange(rows as unknown as Row[], "eventTimestamp");
  const words = filterWords(filter);
  const head = words ? `${rows.length} of ${all.length} audit events are ${words} (filtered here: Clari's API filters by neither)` : `${rows.length} audit events`;
  const of = (name: string) => classes.find((c) => c.name === name)?.count ?? 0;
  return {
    lines: [
      `${head}${range.from ? ` from ${range.from} to ${range.to}` : ""}: ${of("change")} changes, ${of("view")} views, ${of("session")} logins/logouts, ${of("system")} system.`,
      `By event (${byEvent.length} types): ${capped(byEvent, MAX_TYPES, "events")}.`,
      `Most active, by changes: ${fmt(byActor)}.`,
      ...(byTab.length > 0 ? [`Changes by forecast tab: ${fmt(byTab.slice(0, 10))}.`] : []),
    ],
    summary: {
      events: rows.length,
      ...range,
      changes: of("change"),
      byClass: classes,
      byEvent: byEvent.slice(0, 50),
      eventTypes: byEvent.length,
      byActor,
      byTab: byTab.slice(0, 20),
      ...(words ? { filter: { ...(filter.forecastId !== undefined ? { forecastId: filter.forecastId } : {}), ...(filter.changesOnly ? { changesOnly: true } : {}), ofEvents: all.length } } : {}),
    },
  };
}

export function summariseEvents(kind: "audit" | "activity", json: unknown, filter: AuditFilter = {}): Summarised<AuditSummary | ActivitySummary> {
  if (kind === "audit") return summariseAudit(normaliseAudit(json), filter);
  const rows = eventRows(kind, json);
  const byType = counts(rows, (r) => r.activityType as string | undefined).slice(0, 8);
  const byAccount = counts(rows, (r) => {
    const accounts = r.accounts as Array<{ accountName?: string }> | string[] | undefined;
    const first = Array.isArray(accounts) ? accounts[0] : undefined;
    return typeof first === "string" ? first : first?.accountName;
  }).slice(0, 8);
  const range = dateRange(rows, "date");
  return {
    lines: [`${rows.length} activities${range.from ? ` from ${range.from} to ${range.to}` : ""}.`, `By type: ${fmt(byType)}.`, `Most engaged accounts: ${fmt(byAccount)}.`],
    summary: { activities: rows.length, ...range, byType, byAccount },
  };
}
