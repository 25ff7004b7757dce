/**
 * What every answer says about time, so an assistant never guesses "this quarter" or "last week":
 * today's date (UTC) and the current quarter. Calendar quarters (Q1 = January to March); an org
 * on a fiscal calendar may number its quarters differently. Forecast answers add the week their
 * numbers refer to (see the export summary's dataWeek).
 */
import { z } from "zod";

/** The `context` of every result's structuredContent (stated once in docs/TOOLS.md, see result-schema.ts). */
export const TimeContextSchema = z.strictObject({
  /** YYYY-MM-DD, UTC. */
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** YYYY_QN, calendar quarters. */
  currentQuarter: z.string().regex(/^\d{4}_Q[1-4]$/),
  /** Forecast answers: "week 9 of 2026_Q4, starting 2026-11-23". */
  forecastWeek: z.string().optional(),
  /** The Forecast Tab ids known (setting, stored exports, audit log): Clari cannot list them. */
  forecastTabs: z.array(z.string()).optional(),
});
export type TimeContext = z.output<typeof TimeContextSchema>;

export function timeContext(now: Date | number = Date.now()): TimeContext {
  const d = new Date(now);
  return { today: d.toISOString().slice(0, 10), currentQuarter: `${d.getUTCFullYear()}_Q${Math.floor(d.getUTCMonth() / 3) + 1}` };
}

/** Tabs named in an answer's last line; the rest are counted (every answer carries this line). */
const TABS_IN_TEXT = 8;

/** The one line an answer's text ends with (a forecast answer names its week next to its numbers). */
export function timeContextLine(context: TimeContext): string {
  const known = context.forecastTabs ?? [];
  const more = known.length > TABS_IN_TEXT ? `, and ${known.length - TABS_IN_TEXT} more (clari://forecast-tabs)` : "";
  const tabs = known.length ? ` Forecast tabs known: ${known.slice(0, TABS_IN_TEXT).join(", ")}${more}.` : "";
  return `Today is ${context.today} (UTC); current quarter ${context.currentQuarter}.${tabs}`;
}
