/**
 * A bounded summary of a normalised forecast export: safe to put into a tool result whatever
 * the export's size (a few KB at most).
 */

import type { ForecastTable } from "../table/forecast-table.js";
import { parseTimePeriodLabel } from "../read/values.js";
import { hierarchyLevels, MAX_LEVELS } from "./hierarchy-levels.js";
import type { ForecastSummary } from "./summary-schemas.js";

const MAX_FIELDS = 50;
const MAX_PERIODS = 20;
const MAX_TOTALS = 80;
const MAX_CURRENCIES = 10;


export interface SummariseOptions {
  /** The timePeriod the export was asked for ("2026_Q4"); enables the mismatch check. */
  requestedTimePeriod?: string;
  /** The job's truncation flags. */
  job?: { rowsTruncated?: boolean; cellsTruncated?: boolean };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Checks the periods an export returned against the one asked for; a message when they differ. */
export function timePeriodMismatch(
  requested: string,
  returned: ReadonlyArray<{ label: string; id: string }>,
): string | undefined {
  const want = requested.trim();
  if (want === "" || returned.length === 0) return undefined;
  const wantId = parseTimePeriodLabel(want);
  const matches = returned.some(
    (p) => (wantId !== undefined && (p.id === wantId || parseTimePeriodLabel(p.label) === wantId)) || p.label.toLowerCase() === want.toLowerCase() || p.id.toLowerCase() === want.toLowerCase(),
  );
  if (matches) return undefined;
  const got = returned
    .slice(0, 5)
    .map((p) => (p.id && p.id !== p.label ? `${p.label} (${p.id})` : p.label))
    .join(", ");
  return (
    `Asked for time period ${want} but the export holds ${got}. Clari silently falls back to the ` +
    `current quarter when it does not recognise the timePeriod: check it is YYYY_QN (e.g. 2026_Q4) ` +
    `and that the forecast has data for it, then export again.`
  );
}

/** "week 9 of 2026_Q4, starting 2026-11-23": how an answer names the week its numbers are for. */
export function weekReference(week: number, timePeriod: string, start: string): string {
  return `week ${week} of ${timePeriod}${start ? `, starting ${start}` : ""}`;
}

/** Summarises a forecast table in two passes over its columns. */
export function summariseForecast(table: ForecastTable, options: SummariseOptions = {}): ForecastSummary {
  const n = table.length;
  const c = table.columns;
  const personSeen = new Uint8Array(table.personCount);
  const fieldSeen = new Uint8Array(table.fields.size);
  const dtSeen = new Uint8Array(table.dataTypes.size);
  const currencySeen = new Uint8Array(table.currencies.size);
  const periodSeen = new Uint8Array(table.periodCount);
  // Distinct (period, week) -> span code.
  const weekSpans = new Map<number, number>();
  const latestWeek = new Int32Array(table.periodCount).fill(-2147483648);
  let lastKey = -1;
  for (let i = 0; i < n; i++) {
    personSeen[c.person[i] as number] = 1;
    fieldSeen[c.field[i] as number] = 1;
    dtSeen[c.dataType[i] as number] = 1;
    currencySeen[c.currency[i] as number] = 1;
    const p = c.period[i] as number;
    periodSeen[p] = 1;
    const w = c.week[i] as number;
    if (w > (latestWeek[p] as number)) latestWeek[p] = w;
    const key = p * 65536 + (w + 32768);
    if (key !== lastKey) {
      if (!weekSpans.has(key)) weekSpans.set(key, c.span[i] as number);
      lastKey = key;
    }
  }

  // Users and roles.
  const userIdentity = new Set<string>();
  const roles = new Set<string>();
  for (let p = 0; p < table.personCount; p++) {
    if (!personSeen[p]) continue;
    const person = table.person(p);
    userIdentity.add(person.userId || person.email.toLowerCase() || person.user);
    if (person.role) roles.add(person.role);
  }

  const fields: string[] = [];
  fieldSeen.forEach((s, f) => {
    if (s) fields.push(table.fields.get(f));
  });
  const dataTypes: string[] = [];
  dtSeen.forEach((s, d) => {
    if (s) dataTypes.push(table.dataTypes.get(d));
  });
  const currencies: string[] = [];
  currencySeen.forEach((s, k) => {
    const cur = table.currencies.get(k);
    if (s && cur !== "") currencies.push(cur);
  });
  const timePeriods: Array<{ label: string; id: string }> = [];
  periodSeen.forEach((s, p) => {
    if (s) timePeriods.push({ label: table.periodLabel(p), id: table.periodId(p) });
  });

  // Weeks.
  let firstStart: string | null = null;
  let lastStart: string | null = null;
  let latest: { week: number; start: string; end: string; period: number } | undefined;
  for (const [key, span] of weekSpans) {
    const p = Math.floor(key / 65536);
    const w = (key % 65536) - 32768;
    const start = table.spanStart(span);
    if (start !== "" && (firstStart === null || start < firstStart)) firstStart = start;
    if (start !== "" && (lastStart === null || start > lastStart)) lastStart = start;
    if (w !== latestWeek[p]) continue;
    if (!latest || start > latest.start || (start === latest.start && w > latest.week)) {
      latest = { week: w, start, end: table.spanEnd(span), period: p };
    }
  }

  // Latest-week totals per (period, level, field, dataType): never across levels.
  const hierarchy = hierarchyLevels(table, personSeen);
  const personLevel = hierarchy.personLevel;
  const nf = Math.max(1, table.fields.size);
  const nd = Math.max(1, table.dataTypes.size);
  const totals = new Map<number, { rows: number; sum: number; values: number; updated: number; notUpdated: number }>();
  for (let i = 0; i < n; i++) {
    const p = c.period[i] as number;
    if ((c.week[i] as number) !== latestWeek[p]) continue;
    const level = personLevel[c.person[i] as number] as number;
    if (level < 0) continue;
    const key = ((p * MAX_LEVELS + level) * nf + (c.field[i] as number)) * nd + (c.dataType[i] as number);
    let t = totals.get(key);
    if (!t) {
      t = { rows: 0, sum: 0, values: 0, updated: 0, notUpdated: 0 };
      totals.set(key, t);
    }
    t.rows++;
    const v = c.value[i] as number;
    if (Number.isNaN(v)) continue;
    t.values++;
    t.sum += v;
    if (v !== 0) t.updated++;
    else t.notUpdated++;
  }
  const latestWeekTotals: ForecastSummary["latestWeekTotals"] = [];
  const keys = [...totals.keys()].sort((a, b) => a - b);
  for (const key of keys.slice(0, MAX_TOTALS)) {
    const t = totals.get(key);
    if (!t) continue;
    const d = key % nd;
    const f = Math.floor(key / nd) % nf;
    const level = Math.floor(key / nd / nf) % MAX_LEVELS;
    const p = Math.floor(key / nd / nf / MAX_LEVELS);
    const base = {
      timePeriod: table.periodLabel(p),
      week: latestWeek[p] as number,
      level,
      field: table.fields.get(f),
      dataType: table.dataTypes.get(d),
      rows: t.rows,
    };
    if (table.isBoolean(d)) latestWeekTotals.push({ ...base, updated: t.updated, notUpdated: t.notUpdated });
    else latestWeekTotals.push({ ...base, sum: t.values > 0 ? round(t.sum) : null });
  }

  const warnings = [...table.warnings];
  if (options.job?.rowsTruncated) {
    warnings.unshift(
      "Clari truncated this export's rows (rowsTruncated): totals are incomplete. Narrow the export (scopeId, typesToExport, no includeHistorical) and run it again.",
    );
  }
  if (options.job?.cellsTruncated) {
    warnings.unshift(
      "Clari truncated some cells of this export (cellsTruncated): some values may be cut or missing.",
    );
  }
  const mismatch =
    options.requestedTimePeriod !== undefined ? timePeriodMismatch(options.requestedTimePeriod, timePeriods) : undefined;
  if (n === 0 && !warnings.some((w) => /empty/.test(w))) warnings.push("The export has no rows.");
  if (hierarchy.unplacedPeople > 0) warnings.push(`${hierarchy.unplacedPeople} people have no role, so no hierarchy level: they are left out of the level totals.`);
  if (hierarchy.folded) warnings.push(`The hierarchy is deeper than ${MAX_LEVELS} levels: the deepest are counted in level ${MAX_LEVELS - 1}.`);

  const summary: ForecastSummary = {
    shape: table.shape,
    rowCount: n,
    userCount: userIdentity.size,
    roleCount: roles.size,
    fields: fields.slice(0, MAX_FIELDS),
    fieldCount: fields.length,
    dataTypes,
    timePeriods: timePeriods.slice(0, MAX_PERIODS),
    weeks: {
      count: weekSpans.size,
      firstStart,
      lastStart,
      latestWeek: latest?.week ?? null,
      latestWeekStart: latest?.start || null,
      latestWeekEnd: latest?.end || null,
    },
    dataWeek: latest
      ? {
          timePeriod: table.periodLabel(latest.period),
          week: latest.week,
          start: latest.start,
          text: weekReference(latest.week, table.periodId(latest.period) || table.periodLabel(latest.period), latest.start),
        }
      : null,
    levels: hierarchy.levels,
    currency: currencies.length === 1 ? (currencies[0] as string) : null,
    currencies: currencies.slice(0, MAX_CURRENCIES),
    latestWeekTotals,
    totalsTruncated: keys.length > MAX_TOTALS,
    warnings: warnings.slice(0, 20),
  };
  if (mismatch) summary.timePeriodMismatch = mismatch;
  return summary;
}
