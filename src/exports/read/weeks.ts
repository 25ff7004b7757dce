/**
 * Which forecast week an answer should speak of. Calls are due early in the week (Monday
 * mornings), so a week that began less than two days before the data was taken is still filling
 * in: "who has not updated" then answers nearly everyone. One definition, used by the query tables
 * (forecast_weeks, the named metrics), clari_query's warnings and the export summaries.
 */
const DAY_MS = 86_400_000;

/** A week settles this long after it begins. */
export const SETTLING_DAYS = 2;

/** Midnight UTC of an ISO date (YYYY-MM-DD...), NaN when unreadable. */
function dayStart(iso: string): number {
  return Date.parse(iso.slice(0, 10));
}

/** The week began less than SETTLING_DAYS before `takenAt` (epoch ms): its updates may not all be in yet. */
export function isSettling(weekStart: string, takenAt: number): boolean {
  const start = dayStart(weekStart);
  return Number.isFinite(start) && takenAt - start < SETTLING_DAYS * DAY_MS;
}

/** The week's last day (its end date, else start + 6) had ended when the data was taken. */
export function isCompleteWeek(weekStart: string, weekEnd: string, takenAt: number): boolean {
  const end = weekEnd ? dayStart(weekEnd) : dayStart(weekStart) + 6 * DAY_MS;
  return Number.isFinite(end) && takenAt >= end + DAY_MS;
}

/**
 * The week a hygiene question (who updated, adjustments made) should use among `starts` (ISO dates
 * of one period's weeks): the latest that began at least SETTLING_DAYS before `takenAt`, else the
 * latest there is. Returns its index in `starts`, -1 when there are none.
 */
export function hygieneWeek(starts: readonly string[], takenAt: number): number {
  let latest = -1;
  let settled = -1;
  starts.forEach((start, i) => {
    if (latest < 0 || start > (starts[latest] as string)) latest = i;
    if (!isSettling(start, takenAt) && (settled < 0 || start > (starts[settled] as string))) settled = i;
  });
  return settled >= 0 ? settled : latest;
}

/** "3 h" or "1.5 days": how long before `takenAt` the week began. */
export function sinceStart(weekStart: string, takenAt: number): string {
  const hours = (takenAt - dayStart(weekStart)) / 3_600_000;
  return hours < 36 ? `${Math.max(0, Math.round(hours))} h` : `${Math.round((hours / 24) * 10) / 10} days`;
}

/** The weeks a settling warning names. */
export interface SettlingWeeks {
  /** "export abc123" or "this read". */
  source: string;
  timePeriod: string | null;
  latestWeek: number | null;
  latestWeekStart: string | null;
  hygieneWeek: number | null;
  hygieneWeekStart: string | null;
}

/** Says the latest week had only just begun when the data was taken, and which week a hygiene question should use. */
export function settlingWarning(w: SettlingWeeks, takenAt: number): string {
  const week = `week ${w.latestWeek ?? "?"}${w.timePeriod ? ` of ${w.timePeriod}` : ""} (from ${w.latestWeekStart})`;
  const head = `The latest week, ${week}, had begun ${sinceStart(w.latestWeekStart ?? "", takenAt)} before ${w.source} was taken: its updates and adjustments may not all be in yet.`;
  if (w.hygieneWeekStart && w.hygieneWeekStart !== w.latestWeekStart) {
    return `${head} For hygiene (who updated, adjustments) use week ${w.hygieneWeek ?? "?"} (from ${w.hygieneWeekStart}): forecast_weeks.for_hygiene, hygiene()'s default.`;
  }
  return `${head} No earlier week is in it: for hygiene, export with includeHistorical: true (the week before is then for_hygiene), or again after ${SETTLING_DAYS} days.`;
}
