/** The few lines of text an assistant reads first about a forecast export. */
import type { ForecastTable } from "../table/forecast-table.js";
import { runForecastQuery } from "../query/query.js";
import type { ForecastSummary } from "./summarise-forecast.js";
import type { Summarised } from "../../tools/shared/export-answer.js";

/** $1.2M style: enough precision for a sentence; exact figures stay in structured data. */
export function shortMoney(n: number, currency: string | null): string {
  const prefix = !currency || currency === "USD" || currency === "$" ? "$" : /^[A-Z]{3}$/.test(currency) ? `${currency} ` : currency;
  const abs = Math.abs(n);
  const text = abs >= 1e6 ? `${(abs / 1e6).toFixed(1)}M` : abs >= 1e3 ? `${(abs / 1e3).toFixed(0)}K` : abs.toFixed(0);
  return `${n < 0 ? "-" : ""}${prefix}${text}`;
}

/**
 * The top of the hierarchy's own calls: a manager's call is their own number, so summing every
 * row would double count; the top role's call is the org's number.
 */
function topOfHierarchy(table: ForecastTable, currency: string | null): string | undefined {
  const rollup = runForecastQuery(table, { mode: "rollup", limit: 50 });
  const own = rollup.rows.filter((r) => r.line === "self" && typeof r.own === "number");
  if (!own.length) return undefined;
  const who = `${String(own[0]!.role)}${own[0]!.user ? ` (${String(own[0]!.user)})` : ""}`;
  return `${who}, latest week: ${own.map((r) => `${String(r.field)} ${shortMoney(r.own as number, currency)}`).join(", ")}.`;
}

export function forecastSummaryLines(summary: ForecastSummary, table: ForecastTable): Summarised {
  const periods = summary.timePeriods.map((p) => p.id || p.label).join(", ") || "none";
  const weeks = summary.weeks;
  const lines = [
    `${summary.rowCount} rows: ${summary.userCount} users, fields ${summary.fields.slice(0, 8).join(", ")}; period ${periods}; ` +
      `${weeks.count} week(s)${weeks.latestWeek !== null ? `, latest week ${weeks.latestWeek} from ${weeks.latestWeekStart}` : ""}.`,
  ];
  const top = summary.rowCount ? topOfHierarchy(table, summary.currency) : undefined;
  if (top) lines.push(top);
  const updated = summary.latestWeekTotals.find((t) => t.dataType === "forecast_updated");
  if (updated) lines.push(`${updated.notUpdated ?? 0} of ${(updated.updated ?? 0) + (updated.notUpdated ?? 0)} people have not updated their ${updated.field} call this week.`);
  const warnings = [...(summary.timePeriodMismatch ? [summary.timePeriodMismatch] : []), ...summary.warnings];
  return { lines, summary: summary as unknown as Record<string, unknown>, warnings };
}
