/**
 * Calendar quarters and Monday-Sunday forecast weeks, all in UTC.
 *
 * Quarters are calendar quarters (Q1 = Jan-Mar). Week 1 of a quarter is the week containing the
 * quarter's first day, so it can start before the quarter; the last week can end after it.
 */

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

export interface Quarter {
  year: number;
  quarter: 1 | 2 | 3 | 4;
}

export interface Week {
  /** 1-based index within the quarter. */
  index: number;
  /** Monday 00:00 UTC, epoch ms. */
  start: number;
  /** Sunday 00:00 UTC, epoch ms. */
  end: number;
  startDate: string; // YYYY-MM-DD
  endDate: string; // YYYY-MM-DD
}

export interface ResolvedPeriod extends Quarter {
  timePeriodId: string; // "2026_Q4"
  label: string; // "Q4 2026"
  /** What the caller asked for (undefined when nothing was asked). */
  requested: string | undefined;
  /** True when the request named a period but got the current quarter instead. */
  fellBack: boolean;
}

/** How many quarters back a request may reach before Clari falls back to the current one. */
export const MAX_QUARTERS_BACK = 8;

export function quarterOf(ms: number): Quarter {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), quarter: (Math.floor(d.getUTCMonth() / 3) + 1) as Quarter["quarter"] };
}

export function quarterIndex(q: Quarter): number {
  return q.year * 4 + (q.quarter - 1);
}

export function quarterFromIndex(i: number): Quarter {
  return { year: Math.floor(i / 4), quarter: ((i % 4) + 1) as Quarter["quarter"] };
}

export function periodId(q: Quarter): string {
  return `${q.year}_Q${q.quarter}`;
}

export function periodLabel(q: Quarter): string {
  return `Q${q.quarter} ${q.year}`;
}

export function parsePeriodId(s: string): Quarter | null {
  const m = /^(\d{4})_Q([1-4])$/i.exec(s.trim());
  if (!m) return null;
  return { year: Number(m[1]), quarter: Number(m[2]) as Quarter["quarter"] };
}

export function quarterStart(q: Quarter): number {
  return Date.UTC(q.year, (q.quarter - 1) * 3, 1);
}

/** 00:00 UTC of the quarter's last day. */
export function quarterLastDay(q: Quarter): number {
  return Date.UTC(q.year, q.quarter * 3, 0);
}

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Monday 00:00 UTC of the week containing ms. */
export function mondayOf(ms: number): number {
  const day = startOfDay(ms);
  const dow = new Date(day).getUTCDay(); // 0 = Sunday
  return day - ((dow + 6) % 7) * DAY_MS;
}

/** Every week of a quarter. */
export function quarterWeeks(q: Quarter): Week[] {
  const last = quarterLastDay(q);
  const weeks: Week[] = [];
  for (let start = mondayOf(quarterStart(q)), i = 1; start <= last; start += WEEK_MS, i++) {
    const end = start + 6 * DAY_MS;
    weeks.push({ index: i, start, end, startDate: isoDate(start), endDate: isoDate(end) });
  }
  return weeks;
}

/** The weeks of a quarter that have begun by asOf (all of them for a past quarter). */
export function weeksSoFar(q: Quarter, asOf: number): Week[] {
  const all = quarterWeeks(q);
  const sofar = all.filter((w) => w.start <= asOf);
  return sofar.length > 0 ? sofar : all.slice(0, 1);
}

/**
 * Resolve a timePeriod parameter as Clari does: a missing, unparseable, future or too old value
 * silently becomes the current quarter.
 */
export function resolvePeriod(input: unknown, asOf: number): ResolvedPeriod {
  const current = quarterOf(asOf);
  const requested = typeof input === "string" ? input : input === undefined || input === null ? undefined : String(input);
  let q: Quarter = current;
  let fellBack = false;
  if (requested !== undefined && requested !== "") {
    const parsed = parsePeriodId(requested);
    const ci = quarterIndex(current);
    if (parsed && quarterIndex(parsed) <= ci && quarterIndex(parsed) >= ci - MAX_QUARTERS_BACK) {
      q = parsed;
    } else {
      fellBack = true;
    }
  }
  return { ...q, timePeriodId: periodId(q), label: periodLabel(q), requested, fellBack };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** YYYY-MM-DD (UTC). */
export function isoDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** MM/DD/YYYY (UTC), as in the flat export. */
export function usDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`;
}

/** yyyymmdd_hhmmss (UTC), as in export file names. */
export function compactDateTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** 2017-05-03T16:22:18Z (no milliseconds), as in audit events. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Parse an ISO 8601 date or date-time. A date-only value means the start of that UTC day, or with
 * endOfDay the last millisecond of it. Returns null when unparseable.
 */
export function parseIsoDate(s: string, endOfDay = false): number | null {
  const trimmed = s.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const ms = Date.parse(`${trimmed}T00:00:00Z`);
    if (Number.isNaN(ms)) return null;
    return endOfDay ? ms + DAY_MS - 1 : ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms;
}
