/** The few lines of text an assistant reads first about a forecast export. */
import type { ForecastSummary } from "./summary-schemas.js";
import type { Summarised } from "./summarised.js";

/**
 * Grouped numbers with 0 or 2 decimals: made once, on first use (a formatter costs far more to
 * make than to use, ~10 ms for the first: not at start-up).
 */
let formats: Intl.NumberFormat[] | undefined;

/**
 * Money as a person would quote it from the report: exact, grouped, with cents only when there are
 * any ($3,647,967.43, $20,330,000). A rounded $3.6M could hide a doubled sum or a missed quota.
 */
export function quotedMoney(n: number, currency: string | null): string {
  const prefix = !currency || currency === "USD" || currency === "$" ? "$" : /^[A-Z]{3}$/.test(currency) ? `${currency} ` : currency;
  const cents = Math.round(Math.abs(n) * 100);
  formats ??= [0, 2].map((digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  const text = (formats[cents % 100 === 0 ? 0 : 1] as Intl.NumberFormat).format(cents / 100);
  return `${n < 0 && cents > 0 ? "-" : ""}${prefix}${text}`;
}

/** Fields the text names per level: the first forecast fields and the first quota field. */
const TEXT_FORECAST_FIELDS = 3;

/**
 * The latest week per hierarchy level: the top's own calls, then each level's sum, labelled.
 * A manager's call covers their team, so levels are never added together.
 */
function levelLines(summary: ForecastSummary, totals: ForecastSummary["latestWeekTotals"]): string[] {
  const shown = (t: (typeof totals)[number]) => (t.dataType === "forecast" || t.dataType === "quota") && typeof t.sum === "number";
  const fieldsOf = (dataType: string) => [...new Set(totals.filter((t) => shown(t) && t.dataType === dataType).map((t) => t.field))];
  const fields = [...fieldsOf("forecast").slice(0, TEXT_FORECAST_FIELDS), ...fieldsOf("quota").slice(0, 1)];
  const calls = (level: number): string =>
    fields
      .flatMap((f) => totals.filter((t) => t.level === level && t.field === f && shown(t)).map((t) => `${f} ${quotedMoney(t.sum as number, summary.currency)}`))
      .join(", ");
  const levels = summary.levels.filter((l) => calls(l.level) !== "");
  const top = levels.find((l) => l.level === 0);
  if (!top) return [];
  const lines = [];
  if (top.people === 1) lines.push(`Top of the hierarchy: ${top.label}${top.user ? ` (${top.user})` : ""}, own calls: ${calls(0)}.`);
  const people = (k: number) => `${k} ${k === 1 ? "person" : "people"}`;
  lines.push(
    `Sum per hierarchy level, never added together (each level covers the business of the one above): ` +
      levels.map((l) => `Level ${l.level} (${l.label}, ${people(l.people)}): ${calls(l.level)}`).join("; ") +
      ".",
  );
  return lines;
}

/** `_table` is unused: the summary holds everything the text says. */
export function forecastSummaryLines(summary: ForecastSummary, _table?: unknown): Summarised<ForecastSummary> {
  const periods = summary.timePeriods.map((p) => p.id || p.label).join(", ") || "none";
  const weeks = summary.weeks;
  const lines = [
    `${summary.rowCount} rows: ${summary.userCount} users, fields ${summary.fields.slice(0, 8).join(", ")}; period ${periods}; ` +
      `${weeks.count} week(s)${weeks.latestWeek !== null ? `, latest week ${weeks.latestWeek} from ${weeks.latestWeekStart}` : ""}.`,
  ];
  const week = summary.dataWeek;
  if (week) {
    // The text speaks of one week: the latest of the period that holds the newest week.
    const totals = summary.latestWeekTotals.filter((t) => t.timePeriod === week.timePeriod && t.week === week.week);
    lines.push(`Numbers below are for ${week.text}.`, ...levelLines(summary, totals));
  }
  // Update hygiene (the hygiene() metric's definition): people, every level, in the hygiene week.
  const h = summary.hygiene;
  if (h?.field) {
    const which = h.week === h.latestWeek ? "the latest week" : `week ${h.week} (from ${h.start}; week ${h.latestWeek} had only just begun)`;
    lines.push(`Update hygiene: ${h.notUpdated} of ${h.updated + h.notUpdated} people have not updated their ${h.field} call in ${which}.`);
  }
  const warnings = [...(summary.timePeriodMismatch ? [summary.timePeriodMismatch] : []), ...summary.warnings];
  return { lines, summary, warnings, ...(week ? { context: { forecastWeek: week.text } } : {}) };
}
