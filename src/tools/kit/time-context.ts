/**
 * What every answer says about time, so an assistant never guesses "this quarter" or "last week":
 * today's date (UTC) and the current quarter. Calendar quarters (Q1 = January to March); an org
 * on a fiscal calendar may number its quarters differently. Forecast answers add the week their
 * numbers refer to (see the export summary's dataWeek).
 */
export interface TimeContext {
  /** YYYY-MM-DD, UTC. */
  today: string;
  /** YYYY_QN, calendar quarters. */
  currentQuarter: string;
  /** Forecast answers: "week 9 of 2026_Q4, starting 2026-11-23". */
  forecastWeek?: string;
  /** The Forecast Tab ids known (setting, stored exports, audit log): Clari cannot list them. */
  forecastTabs?: string[];
}

export function timeContext(now: Date | number = Date.now()): TimeContext {
  const d = new Date(now);
  return { today: d.toISOString().slice(0, 10), currentQuarter: `${d.getUTCFullYear()}_Q${Math.floor(d.getUTCMonth() / 3) + 1}` };
}

/** The one line an answer's text ends with (a forecast answer names its week next to its numbers). */
export function timeContextLine(context: TimeContext): string {
  const tabs = context.forecastTabs?.length ? ` Forecast tabs known: ${context.forecastTabs.join(", ")}.` : "";
  return `Today is ${context.today} (UTC); current quarter ${context.currentQuarter}.${tabs}`;
}
