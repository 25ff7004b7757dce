/** A query result as a compact text table: what the assistant quotes back to the user. */
import type { ForecastQueryResult } from "../../exports/query/query-schema.js";

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) || Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(2);
  return String(value).replace(/\|/g, "/");
}

export function formatQueryText(result: ForecastQueryResult): string {
  const weeks = result.weeks.map((w) => `${w.timePeriod} week ${w.week} (${w.weekStart})`).join(", ");
  const head = `${result.mode}: ${result.totalGroups} row(s)${result.truncated ? `, first ${result.rows.length} shown` : ""}${weeks ? `; ${weeks}` : ""}.`;
  const lines = [head];
  if (result.rows.length) {
    lines.push(`| ${result.columns.join(" | ")} |`, `|${result.columns.map(() => "---").join("|")}|`);
    for (const row of result.rows) lines.push(`| ${result.columns.map((c) => cell(row[c])).join(" | ")} |`);
  }
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  return lines.join("\n");
}
