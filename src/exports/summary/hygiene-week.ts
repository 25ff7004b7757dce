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

/**
 * Hygiene in the period holding the newest week; null when the table has no dated weeks. The
 * passes over the rows compare codes only; week starts (text) are compared once per span code.
 */
export function hygieneSummary(table: ForecastTable, takenAt: number): HygieneSummary | null {
  const c = table.columns;
  const n = table.length;
  const startOf = Array.from({ length: table.spanCount }, (_, span) => table.spanStart(span));
  // The period of the newest week start: that of the first row with it.
  const firstRow = new Int32Array(startOf.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const span = c.span[i] as number;
    if ((firstRow[span] as number) < 0) firstRow[span] = i;
  }
  let newest = "";
  let newestRow = -1;
  firstRow.forEach((row, span) => {
    const start = startOf[span] as string;
    if (row >= 0 && (start > newest || (start === newest && start !== "" && row < newestRow))) [newest, newestRow] = [start, row];
  });
  if (newestRow < 0) return null;
  const period = c.period[newestRow] as number;
  // Its weeks (start -> the week number of the last row with that start), and the fields flagged updated in it.
  const updatedType = table.dataTypes.values.indexOf("forecast_updated");
  const lastRow = new Int32Array(startOf.length).fill(-1);
  const flaggedField = new Uint8Array(table.fields.size);
  for (let i = 0; i < n; i++) {
    if (c.period[i] !== period) continue;
    lastRow[c.span[i] as number] = i;
    if (c.dataType[i] === updatedType) flaggedField[c.field[i] as number] = 1;
  }
  const weekRow = new Map<string, number>();
  lastRow.forEach((row, span) => {
    const start = startOf[span] as string;
    if (row >= 0 && row > (weekRow.get(start) ?? -1)) weekRow.set(start, row);
  });
  const weeks = new Map([...weekRow].map(([start, row]) => [start, c.week[row] as number]));
  const starts = [...weeks.keys()].filter((s) => s !== "");
  const start = starts[hygieneWeek(starts, takenAt)] as string;
  const commit = table.fields.values.indexOf("Commit");
  const field = commit >= 0 && flaggedField[commit] ? commit : flaggedField.indexOf(1);
  const inWeek = Uint8Array.from(startOf, (s) => (s === start ? 1 : 0));
  const seen = new Map<string, boolean>();
  if (field >= 0) {
    for (let i = 0; i < n; i++) {
      if (c.dataType[i] !== updatedType || c.period[i] !== period || c.field[i] !== field || !inWeek[c.span[i] as number]) continue;
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
