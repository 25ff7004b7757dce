/**
 * The deals the stored activities touched in a window, found server-side (clari_query's engine over
 * the activity exports), so their ids never travel through the chat. Looked up in Clari's batches of
 * 100; every lookup is kept for questions, like any other (observed-reads.ts).
 */
import type { Opportunity } from "../../client/schemas.js";
import type { CallContext, ExportDeps } from "../context.js";
import { MAX_ROWS } from "../query/engine.js";
import { lookUpOpportunities } from "./observed-reads.js";

/** Clari's opportunity API takes at most this many ids per call. */
export const OPPORTUNITY_BATCH = 100;
/** Most deals looked up from one window (20 calls); a wider window is narrowed by the caller. */
export const MAX_TOUCHED = 2000;

export interface TouchedWindow {
  /** ISO date or date-time; a date alone is its day's start. */
  since: string;
  /** ISO date or date-time, exclusive; a date alone includes that whole day. Default: now. */
  until?: string | undefined;
}

export interface Touched {
  /** The window as read, ISO. */
  since: string;
  until: string;
  /** Deals the activities in the window name (all of them, even past MAX_TOUCHED). */
  total: number;
  oppIds: string[];
  opportunities: Opportunity[];
  activityExports: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function bounds(window: TouchedWindow, now: number): { since: string; until: string } {
  const since = new Date(Date.parse(DATE_ONLY.test(window.since) ? `${window.since}T00:00:00Z` : window.since));
  const until = window.until === undefined ? new Date(now) : new Date(Date.parse(DATE_ONLY.test(window.until) ? `${window.until}T00:00:00Z` : window.until) + (DATE_ONLY.test(window.until) ? DAY_MS : 0));
  return { since: since.toISOString(), until: until.toISOString() };
}

type Deps = Pick<ExportDeps, "client" | "observations" | "query" | "logger" | "store">;

/** The deals touched in the window by stored activities, looked up in batches (none when no activity export is stored). */
export async function lookUpTouchedOpportunities(deps: Deps, window: TouchedWindow, mode: string | undefined, call: Pick<CallContext, "signal" | "caller">): Promise<Touched> {
  const { since, until } = bounds(window, Date.now());
  await deps.store.sync();
  const activityExports = deps.store.list().filter((e) => e.kind === "activity").length;
  if (activityExports === 0) return { since, until, total: 0, oppIds: [], opportunities: [], activityExports };
  // Both bounds are ISO strings made here from parsed dates: nothing of the caller's text reaches the SQL.
  const touched = `FROM activity_opportunities o JOIN activities a USING (activity_id) WHERE a.activity_time >= TIMESTAMPTZ '${since}' AND a.activity_time < TIMESTAMPTZ '${until}'`;
  const options = { caller: call.caller ?? "", signal: call.signal };
  const count = await deps.query.query(`SELECT count(DISTINCT o.opportunity_id) AS n ${touched}`, 1, options);
  const total = Number(count.rows[0]?.[0] ?? 0);
  const oppIds: string[] = [];
  while (oppIds.length < Math.min(total, MAX_TOUCHED)) {
    const page = await deps.query.query(`SELECT DISTINCT o.opportunity_id ${touched} ORDER BY 1 LIMIT ${MAX_ROWS} OFFSET ${oppIds.length}`, MAX_ROWS, options);
    if (page.rows.length === 0) break;
    oppIds.push(...page.rows.map((r) => String(r[0])));
  }
  oppIds.splice(MAX_TOUCHED);
  const opportunities: Opportunity[] = [];
  for (let i = 0; i < oppIds.length; i += OPPORTUNITY_BATCH) {
    opportunities.push(...(await lookUpOpportunities(deps, oppIds.slice(i, i + OPPORTUNITY_BATCH), mode, call.signal)));
  }
  return { since, until, total, oppIds, opportunities, activityExports };
}
