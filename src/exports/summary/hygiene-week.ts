/**
 * Update hygiene in a summary, by the same definition as the hygiene() metric: in the hygiene
 * week (read/weeks.ts: the latest week that began at least two days before the data was taken),
 * how many people updated their call (Commit when the export has it, else its first field with a
 * forecast-updated flag). Each person is counted once, whatever their level.
 */
import { personKey } from "../query/hierarchy.js";
import { hygieneWeek, isSettling } from "../read/weeks.js";
import type { ForecastTable } from "../table/forecast-table.js";

export interface HygieneSummary {
  timePeriod: string;
  week: number;
  start: string;
  /** The field whose update flag is counted, null when the export has no forecast_updated. */
  field: string | null;
  updated: number;
  notUpdated: number;
  /** The latest week of the period, and whether it began less than two days before the data was taken. */
  latestWeek: number;
  latestWeekStart: string;
  latestSettling: boolean;
}

/** Hygiene in the period holding the newest week; null when the table has no dated weeks. */
export function hygieneSummary(table: ForecastTable, takenAt: number): HygieneSummary | null {
  const c = table.columns;
  const startOf = Array.from({ length: table.spanCount }, (_, span) => table.spanStart(span));
  // The period of the newest week start, and its weeks (start -> week number).
  let period = -1;
  let newest = "";
  for (let i = 0; i < table.length; i++) {
    const start = startOf[c.span[i] as number] as string;
    if (start > newest) [newest, period] = [start, c.period[i] as number];
  }
  if (period < 0) return null;
  const weeks = new Map<string, number>();
  for (let i = 0; i < table.length; i++) if (c.period[i] === period) weeks.set(startOf[c.span[i] as number] as string, c.week[i] as number);
  const starts = [...weeks.keys()].filter((s) => s !== "");
  const start = starts[hygieneWeek(starts, takenAt)] as string;
  const updatedType = table.dataTypes.values.indexOf("forecast_updated");
  const flagged = new Set<number>();
  for (let i = 0; i < table.length; i++) if (c.dataType[i] === updatedType && c.period[i] === period) flagged.add(c.field[i] as number);
  const commit = table.fields.values.indexOf("Commit");
  const field = flagged.has(commit) ? commit : flagged.size > 0 ? Math.min(...flagged) : -1;
  const seen = new Map<string, boolean>();
  if (field >= 0) {
    for (let i = 0; i < table.length; i++) {
      if (c.dataType[i] !== updatedType || c.period[i] !== period || c.field[i] !== field || startOf[c.span[i] as number] !== start) continue;
      const who = personKey(table.person(c.person[i] as number));
      const v = c.value[i] as number;
      if (!Number.isNaN(v)) seen.set(who, (seen.get(who) ?? false) || v !== 0);
    }
  }
  const updated = [...seen.values()].filter(Boolean).length;
  return {
    timePeriod: table.periodId(period) || table.periodLabel(period),
    week: weeks.get(start) ?? -1,
    start,
    field: field >= 0 ? table.fields.get(field) : null,
    updated,
    notUpdated: seen.size - updated,
    latestWeek: weeks.get(newest) ?? -1,
    latestWeekStart: newest,
    latestSettling: isSettling(newest, takenAt),
  };
}
