/**
 * Sandbox clocks for questions whose answers depend on the hour of the week: calls are updated on
 * Monday mornings (00:20 - 06:00 UTC) and adjusted after (06:00 - 09:00). Each clock starts at a
 * chosen moment of a past week at least three weeks into its quarter (so the week before is in
 * the same quarter) and runs on from there, so jobs still finish.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;

function mondayOf(ms: number): number {
  const day = Math.floor(ms / DAY) * DAY;
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
}

function quarterStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
}

/** The Monday of last week, or earlier until it is at least three weeks into its quarter. */
export function pastMonday(now = Date.now()): number {
  let monday = mondayOf(now) - 7 * DAY;
  while (monday - 7 * DAY - 7 * DAY < quarterStart(monday)) monday -= 7 * DAY;
  return monday;
}

/** A clock that runs on from `start`. */
export function clockFrom(start: number): () => number {
  const t0 = Date.now();
  return () => start + (Date.now() - t0);
}

/** Wednesday noon of that week: every call of the week updated and adjusted, nothing moving. */
export const midWeek = (): (() => number) => clockFrom(pastMonday() + 2 * DAY + 12 * HOUR);

/** Monday 03:00 of that week: some calls updated, none adjusted yet. */
export const mondayMorning = (): (() => number) => clockFrom(pastMonday() + 3 * HOUR);

export function quarterOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}_Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}
