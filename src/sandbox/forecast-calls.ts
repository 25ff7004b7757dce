/**
 * How each user's call moves through a quarter, week by week. A rep's call follows their own quota;
 * a leader's own call follows the sum of their direct reports' calls, shaded by the leader's own
 * judgement (85-110% of that sum, as a RevOps reviewer would expect), so the two never drift apart.
 * Calls are ordered Commit < Most Likely < Best Case < Pipeline. Updates are made on Monday morning,
 * reps first and each level after the one below it, so a leader's update always sees the team's.
 */
import type { Week } from "./calendar.js";
import { DAY_MS } from "./calendar.js";
import { type Rng, rngFor } from "./random.js";
import type { SandboxUser } from "./users.js";

/** Call fields in order: commit < most likely < best case < pipeline. */
export const CALL_FIELDS = 4;
export const ADJUSTED_FIELDS = 2; // commit and most likely
/** When a user updates, Commit always moves; each other field moves with this chance (else carried). */
const FIELD_MOVES = [1, 0.5, 0.3, 0.2];
/** A leader's own call stays within this share of their team's sum (a carried call that leaves it is updated). */
export const LEADER_BAND = { min: 0.85, max: 1.1 } as const;
/** Monday update windows (days after 00:00 UTC) per level: reps first, the CRO last, all by 06:00. */
const UPDATE_WINDOW: Record<SandboxUser["level"], [number, number]> = {
  REP: [0.014, 0.17],
  MANAGER: [0.17, 0.2],
  VP: [0.2, 0.225],
  CRO: [0.225, 0.25],
};

/** Everything about one tab and quarter, for every user and every week of the quarter. */
export interface QuarterData {
  weeks: Week[];
  quota: Float64Array; // per user
  /** [user][week][field] call values, flattened. */
  calls: Float64Array;
  updated: Uint8Array; // [user][week]
  /** When the week's update happens: whole seconds inside the level's Monday window (see UPDATE_WINDOW). */
  updatedOn: Float64Array; // [user][week]
  adjusted: Uint8Array; // per user
  adjustments: Float64Array; // [user][week][field<2]
  /** When the manager adjusts: whole seconds, Monday 06:00 - 09:00 UTC, after any update that week. */
  adjustedOn: Float64Array; // [user][week]
  crmTotal: Float64Array; // [user][week][field]
  crmClosed: Float64Array; // [user][week]
}

export interface CallContext {
  seed: number;
  tabIdx: number;
  qi: number;
  /** Net tabs carry churn: some reps' calls go negative. */
  churn: boolean;
  users: readonly SandboxUser[];
  data: QuarterData;
}

export const cents = (x: number): number => Math.round(x * 100) / 100;
/** A moment inside a week, `days` after its Monday, in whole seconds. */
const inWeek = (week: Week, days: number): number => week.start + Math.floor((days * DAY_MS) / 1000) * 1000;

/** Each field of the call at `at` strictly above the one before it: a field at or below moves just above (a move of it). */
function order(calls: Float64Array, at: number): void {
  for (let f = 1; f < CALL_FIELDS; f++) {
    const below = calls[at + f - 1] ?? 0;
    if ((calls[at + f] ?? 0) <= below) calls[at + f] = cents(below + Math.max(100, Math.abs(below) * 0.03));
  }
}

/** A leader's value is within the band of the team's (for a team summing to zero or less: within 15% of it). */
export function inBand(value: number, team: number): boolean {
  if (team > 0) return value >= team * LEADER_BAND.min && value <= team * LEADER_BAND.max;
  return Math.abs(value - team) <= Math.abs(team) * (1 - LEADER_BAND.min) + 1;
}

/** The week's update time, inside the level's Monday window. */
function stamp(ctx: CallContext, i: number, w: number, rw: Rng): void {
  const window = UPDATE_WINDOW[(ctx.users[i] as SandboxUser).level];
  ctx.data.updatedOn[i * ctx.data.weeks.length + w] = inWeek(ctx.data.weeks[w] as Week, rw.range(window[0], window[1]));
}

/** Scratch for one week's fresh call and a team's sums (the build is synchronous). */
const fresh = new Float64Array(CALL_FIELDS);
const team = new Float64Array(CALL_FIELDS);

/** A rep's call: heads toward a share of their own quota as the quarter goes on. */
export function repCalls(ctx: CallContext, i: number): void {
  const { data, seed, tabIdx, qi } = ctx;
  const { calls } = data;
  const W = data.weeks.length;
  const r = rngFor(seed, "calls", tabIdx, qi, i);
  const Q = data.quota[i] ?? 0;
  const attainment = r.range(0.6, 1.3);
  const commitEnd = Q * attainment;
  const mlEnd = commitEnd * r.range(1.05, 1.25);
  const bestEnd = mlEnd * r.range(1.05, 1.3);
  const pipeEnd = bestEnd * r.range(1.3, 2.2);
  const churn = ctx.churn && r.chance(0.15) ? Q * r.range(0.4, 1.5) : 0;
  const adj0 = r.range(0.75, 1.15);
  const adj1 = r.range(0.8, 1.2);
  const crm0 = r.range(0.85, 1.3);
  const crm1 = r.range(0.85, 1.3);
  const crm2 = r.range(0.85, 1.3);
  const crm3 = r.range(0.9, 1.2);
  const closedShare = r.range(0.7, 1.0);

  for (let w = 0; w < W; w++) {
    const uw = i * W + w;
    const at = uw * CALL_FIELDS;
    const before = at - CALL_FIELDS;
    const p = (w + 1) / W;
    const rw = rngFor(seed, "week", tabIdx, qi, i, w);
    if (data.updated[uw] === 0 && w > 0) {
      for (let f = 0; f < CALL_FIELDS; f++) calls[at + f] = calls[before + f] ?? 0; // an un-updated call carries last week's numbers
    } else {
      fresh[0] = cents(commitEnd * (0.45 + 0.55 * p) * rw.range(0.95, 1.05) - churn);
      fresh[1] = cents(mlEnd * (0.6 + 0.4 * p) * rw.range(0.96, 1.04) - churn);
      fresh[2] = cents(bestEnd * (0.75 + 0.25 * p) * rw.range(0.97, 1.03) - churn);
      fresh[3] = cents(pipeEnd * (1.3 - 0.3 * p) * rw.range(0.95, 1.05) - churn);
      // An update moves Commit (always) and some of the other fields; the rest are carried.
      for (let f = 0; f < CALL_FIELDS; f++) calls[at + f] = w > 0 && f > 0 && !rw.chance(FIELD_MOVES[f] ?? 1) ? (calls[before + f] ?? 0) : (fresh[f] ?? 0);
      if (w > 0 && calls[at] === calls[before]) calls[at] = cents((calls[at] ?? 0) + 1);
      order(calls, at);
    }
    stamp(ctx, i, w, rw);
    data.crmTotal[at] = cents(Math.max(0, (calls[at] ?? 0) + churn) * crm0);
    data.crmTotal[at + 1] = cents(Math.max(0, (calls[at + 1] ?? 0) + churn) * crm1);
    data.crmTotal[at + 2] = cents(Math.max(0, (calls[at + 2] ?? 0) + churn) * crm2);
    data.crmTotal[at + 3] = cents(Math.max(0, (calls[at + 3] ?? 0) + churn) * crm3);
    data.crmClosed[uw] = cents(Q * attainment * closedShare * Math.pow(p, 1.6));
    if (data.adjusted[i] === 1) {
      // The manager re-adjusts every week, from the rep's call as it stands after any update.
      for (let f = 0; f < ADJUSTED_FIELDS; f++) {
        const k = uw * ADJUSTED_FIELDS + f;
        let a = cents((calls[at + f] ?? 0) * (f === 0 ? adj0 : adj1) * rw.range(0.97, 1.03));
        if (w > 0 && a === data.adjustments[k - ADJUSTED_FIELDS]) a = cents(a + 1);
        data.adjustments[k] = a;
      }
      data.adjustedOn[uw] = inWeek(data.weeks[w] as Week, rw.range(0.25, 0.375));
    }
  }
}

/**
 * A leader's own call: their direct reports' sum, shaded by the leader (a steady haircut or lift
 * per field, plus a little weekly judgement). A week the leader does not update carries last
 * week's call, unless that has left the band around the team's sum: then the leader updates.
 * CRM totals are the team's sums (the CRM has no judgement).
 */
export function leaderCalls(ctx: CallContext, i: number): void {
  const { data, seed, tabIdx, qi, users } = ctx;
  const { calls } = data;
  const W = data.weeks.length;
  const reports = (users[i] as SandboxUser).reports;
  const r = rngFor(seed, "calls", tabIdx, qi, i);
  // Non-decreasing per field, so the shaded sums stay in order; at most 1.08 x 1.01 < 1.10.
  const base = r.range(0.9, 1.04);
  const ml = base + r.range(0, 0.02);
  const haircut = [base, ml, ml + r.range(0, 0.02), Math.max(ml + 0.02, r.range(0.98, 1.02))];

  for (let w = 0; w < W; w++) {
    const uw = i * W + w;
    const at = uw * CALL_FIELDS;
    const before = at - CALL_FIELDS;
    const rw = rngFor(seed, "week", tabIdx, qi, i, w);
    team.fill(0);
    let closed = 0;
    for (const c of reports) {
      const cat = (c * W + w) * CALL_FIELDS;
      for (let f = 0; f < CALL_FIELDS; f++) {
        team[f] = (team[f] ?? 0) + (calls[cat + f] ?? 0);
        data.crmTotal[at + f] = (data.crmTotal[at + f] ?? 0) + (data.crmTotal[cat + f] ?? 0);
      }
      closed += data.crmClosed[c * W + w] ?? 0;
    }
    for (let f = 0; f < CALL_FIELDS; f++) data.crmTotal[at + f] = cents(data.crmTotal[at + f] ?? 0);
    data.crmClosed[uw] = cents(closed);

    const judgement = rw.range(0.99, 1.01);
    for (let f = 0; f < CALL_FIELDS; f++) fresh[f] = cents((team[f] ?? 0) * (haircut[f] ?? 1) * judgement);
    const carried = (f: number): boolean => inBand(calls[before + f] ?? 0, team[f] ?? 0);
    if (w > 0 && data.updated[uw] === 0 && !(carried(0) && carried(1) && carried(2) && carried(3))) data.updated[uw] = 1;
    if (w > 0 && data.updated[uw] === 0) {
      for (let f = 0; f < CALL_FIELDS; f++) calls[at + f] = calls[before + f] ?? 0;
    } else {
      for (let f = 0; f < CALL_FIELDS; f++) calls[at + f] = w > 0 && f > 0 && !rw.chance(FIELD_MOVES[f] ?? 1) && carried(f) ? (calls[before + f] ?? 0) : (fresh[f] ?? 0);
      let inOrder = true;
      for (let f = 1; f < CALL_FIELDS; f++) if ((calls[at + f] ?? 0) <= (calls[at + f - 1] ?? 0)) inOrder = false;
      if (!inOrder) for (let f = 0; f < CALL_FIELDS; f++) calls[at + f] = fresh[f] ?? 0;
      if (w > 0 && calls[at] === calls[before]) calls[at] = cents((calls[at] ?? 0) + 1);
      order(calls, at);
    }
    stamp(ctx, i, w, rw);
  }
}
