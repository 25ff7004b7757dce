/** The few lines of text an assistant reads first about a forecast export. */
import type { ForecastSummary } from "../exports/summarise-forecast.js";
import type { Summarised } from "./export-answer.js";

const money = (n: number, currency: string | null): string =>
  `${currency && currency !== "USD" ? `${currency} ` : "$"}${Math.round(n).toLocaleString("en-US")}`;

export function forecastSummaryLines(summary: ForecastSummary): Summarised {
  const periods = summary.timePeriods.map((p) => p.id || p.label).join(", ") || "none";
  const weeks = summary.weeks;
  const lines = [
    `${summary.rowCount} rows: ${summary.userCount} users, ${summary.fieldCount} fields (${summary.fields.slice(0, 8).join(", ")}), period ${periods}, ` +
      `${weeks.count} week(s)${weeks.latestWeek !== null ? `, latest week ${weeks.latestWeek} starting ${weeks.latestWeekStart}` : ""}.`,
  ];
  const totals = summary.latestWeekTotals.slice(0, 12).map((t) =>
    t.dataType === "forecast_updated"
      ? `${t.field} updated: ${t.updated ?? 0} yes / ${t.notUpdated ?? 0} no`
      : `${t.field} ${t.dataType}: ${t.sum === null || t.sum === undefined ? "n/a" : money(t.sum, summary.currency)} (all ${t.rows} rows)`,
  );
  if (totals.length) lines.push(`Latest week: ${totals.join("; ")}.`);
  const warnings = [...(summary.timePeriodMismatch ? [summary.timePeriodMismatch] : []), ...summary.warnings];
  return { lines, summary: summary as unknown as Record<string, unknown>, warnings };
}
