/**
 * Audit and activity exports: their rows (for paging) and a bounded summary (for tool results).
 */
import { normaliseActivities } from "../read/normalise-activity.js";
import { normaliseAudit } from "../read/normalise-audit.js";
import type { ActivitySummary, AuditSummary } from "./summary-schemas.js";
import type { Summarised } from "./summarised.js";

type Row = Record<string, unknown>;

/** Normalised rows of an audit or activity export file. */
export function eventRows(kind: "audit" | "activity", json: unknown): Row[] {
  return (kind === "audit" ? normaliseAudit(json) : normaliseActivities(json)) as unknown as Row[];
}

function top(rows: Row[], key: (row: Row) => string | undefined, n = 8): Array<{ name: string; count: number }> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const k = key(row);
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => ({ name, count }));
}

function dateRange(rows: Row[], field: string): { from?: string; to?: string } {
  const dates = rows.map((r) => r[field]).filter((d): d is string => typeof d === "string" && d !== "").sort();
  return dates.length ? { from: dates[0], to: dates[dates.length - 1] } : {};
}

const fmt = (items: Array<{ name: string; count: number }>): string => items.map((i) => `${i.name} ${i.count}`).join(", ");

export function summariseEvents(kind: "audit" | "activity", json: unknown): Summarised<AuditSummary | ActivitySummary> {
  const rows = eventRows(kind, json);
  if (kind === "audit") {
    const byEvent = top(rows, (r) => r.event as string | undefined);
    const byActor = top(rows, (r) => (r.actorName ?? r.actorEmail ?? r.actorId) as string | undefined);
    const range = dateRange(rows, "eventTimestamp");
    return {
      lines: [`${rows.length} audit events${range.from ? ` from ${range.from} to ${range.to}` : ""}.`, `By event: ${fmt(byEvent)}.`, `Most active: ${fmt(byActor)}.`],
      summary: { events: rows.length, ...range, byEvent, byActor },
    };
  }
  const byType = top(rows, (r) => r.activityType as string | undefined);
  const byAccount = top(rows, (r) => {
    const accounts = r.accounts as Array<{ accountName?: string }> | string[] | undefined;
    const first = Array.isArray(accounts) ? accounts[0] : undefined;
    return typeof first === "string" ? first : first?.accountName;
  });
  const range = dateRange(rows, "date");
  return {
    lines: [`${rows.length} activities${range.from ? ` from ${range.from} to ${range.to}` : ""}.`, `By type: ${fmt(byType)}.`, `Most engaged accounts: ${fmt(byAccount)}.`],
    summary: { activities: rows.length, ...range, byType, byAccount },
  };
}
