/**
 * Forecast values: the canonical, unformatted numbers every forecast result shape is built from.
 *
 * Values are a pure function of (seed, tab, quarter, user, week), computed for a whole quarter at
 * a time. Calls are per user: a manager's or VP's call is their own number, not the sum of their
 * reps. Each week a user either updates their call (at updatedOn, inside the week: Commit always
 * moves, the other fields sometimes) or carries last week's numbers; a manager re-adjusts an
 * adjusted rep's Commit and Most Likely later in the same week (adjustedOn). An update or
 * adjustment whose time is after the clock has not happened yet: the week shows last week's call
 * and no adjustment. `changes()` lists every week-over-week change, which the audit log records.
 */
import {
  type Quarter,
  type ResolvedPeriod,
  type Week,
  quarterFromIndex,
  quarterIndex,
  quarterOf,
  quarterWeeks,
  MAX_QUARTERS_BACK,
  resolvePeriod,
  weeksSoFar,
  DAY_MS,
} from "./calendar.js";
import { ADJUSTED_FIELDS, CALL_FIELDS, type QuarterData, leaderCalls, repCalls } from "./forecast-calls.js";
import { rngFor } from "./random.js";
import { type SandboxUser, subtree } from "./users.js";

export interface ForecastTab {
  forecastId: string;
  title: string;
}

interface TabModel extends ForecastTab {
  scale: number;
  /** Net tabs carry churn, so some reps' calls go negative. */
  churn: boolean;
}

const TABS: readonly TabModel[] = [
  { forecastId: "net_bookings", title: "Net Bookings", scale: 1, churn: false },
  { forecastId: "net_arr", title: "Net New ARR", scale: 0.8, churn: true },
  { forecastId: "renewals", title: "Renewals", scale: 0.55, churn: false },
];

export const FORECAST_TABS: readonly ForecastTab[] = TABS.map(({ forecastId, title }) => ({ forecastId, title }));

export interface ForecastField {
  fieldId: string;
  fieldName: string;
  fieldType: "FORECAST" | "QUOTA";
}

export const FORECAST_FIELDS: readonly ForecastField[] = [
  { fieldId: "commit", fieldName: "Commit", fieldType: "FORECAST" },
  { fieldId: "most_likely", fieldName: "Most Likely", fieldType: "FORECAST" },
  { fieldId: "best_case", fieldName: "Best Case", fieldType: "FORECAST" },
  { fieldId: "pipeline", fieldName: "Pipeline", fieldType: "FORECAST" },
  { fieldId: "quota", fieldName: "Quota", fieldType: "QUOTA" },
];

export const DATA_TYPES = ["forecast", "quota", "forecast_updated", "adjustment", "crm_total", "crm_closed"] as const;
export type DataType = (typeof DATA_TYPES)[number];
export const DEFAULT_TYPES: readonly DataType[] = ["forecast", "forecast_updated"];

export interface CanonicalEntry {
  userId: string;
  fieldId: string;
  fieldName: string;
  timePeriod: string; // "2026_Q4"
  weekIndex: number; // 1-based
  weekStart: string; // YYYY-MM-DD
  weekEnd: string; // YYYY-MM-DD
  dataType: DataType;
  /** USD amount in cents precision, or a boolean for forecast_updated. */
  value: number | boolean;
  /** forecast_updated=true: who updated; adjustment: the manager who adjusted (a userId). */
  by?: string;
  /** Epoch ms of the update / adjustment. */
  on?: number;
}

/** One week-over-week change of a call (update) or of a manager's adjustment. */
export interface ForecastChange {
  kind: "update" | "adjustment";
  forecastId: string;
  timePeriod: string; // "2026_Q4"
  weekIndex: number; // the week the change happened in (>= 2: week 1 has no week before it)
  /** Whose forecast changed. */
  userId: string;
  /** Who changed it: the user (update) or their manager (adjustment). */
  byUserId: string;
  fieldName: string;
  oldValue: number;
  newValue: number;
  /** Epoch ms, whole seconds: updatedOn / adjustedOn of that week. */
  on: number;
}

export interface ForecastEntriesOptions {
  includeHistorical?: boolean;
  typesToExport?: readonly string[];
  /** Root the export at this user's scope (default: the whole org). */
  scopeId?: string;
  /** The clock for "weeks so far" (default: the sandbox clock). */
  asOf?: number;
}

export interface ForecastSelection {
  period: ResolvedPeriod;
  weeks: Week[];
  users: SandboxUser[];
  types: DataType[];
  entries: CanonicalEntry[];
}

export class ForecastModel {
  private readonly cache = new Map<string, QuarterData>();

  constructor(
    private readonly seed: number,
    private readonly users: readonly SandboxUser[],
  ) {}

  hasTab(forecastId: string): boolean {
    return TABS.some((t) => t.forecastId === forecastId);
  }

  tab(forecastId: string): ForecastTab | undefined {
    return FORECAST_TABS.find((t) => t.forecastId === forecastId);
  }

  /** Select and flatten the canonical entries for a request. Unknown types are ignored. */
  select(forecastId: string, timePeriod: string | undefined, opts: ForecastEntriesOptions & { asOf: number }): ForecastSelection {
    const tabIdx = TABS.findIndex((t) => t.forecastId === forecastId);
    if (tabIdx < 0) throw new Error(`unknown forecastId ${forecastId}`);
    const period = resolvePeriod(timePeriod, opts.asOf);
    const data = this.quarter(tabIdx, period);
    const sofar = weeksSoFar(period, opts.asOf);
    const weeks = opts.includeHistorical ? sofar : sofar.slice(-1);
    let users: SandboxUser[] = [...this.users];
    if (opts.scopeId !== undefined && opts.scopeId !== null && opts.scopeId !== "") {
      const root = this.users.find((u) => u.scopeId === opts.scopeId);
      users = root ? subtree(this.users, root.index) : [];
    }
    const asked = opts.typesToExport && opts.typesToExport.length > 0 ? opts.typesToExport : DEFAULT_TYPES;
    const types = DATA_TYPES.filter((t) => asked.includes(t));
    const entries: CanonicalEntry[] = [];
    const W = data.weeks.length;
    const asOf = opts.asOf;
    const want = new Set<DataType>(types);

    const tp = period.timePeriodId;
    const mk = (userId: string, field: ForecastField, week: Week, dataType: DataType, value: number | boolean): CanonicalEntry => ({
      userId,
      fieldId: field.fieldId,
      fieldName: field.fieldName,
      timePeriod: tp,
      weekIndex: week.index,
      weekStart: week.startDate,
      weekEnd: week.endDate,
      dataType,
      value,
    });
    const wantForecast = want.has("forecast");
    const wantQuota = want.has("quota");
    const wantUpdated = want.has("forecast_updated");
    const wantAdjustment = want.has("adjustment");
    const wantCrmTotal = want.has("crm_total");
    const wantCrmClosed = want.has("crm_closed");

    for (const week of weeks) {
      const w = week.index - 1;
      for (const user of users) {
        const u = user.index;
        const uw = u * W + w;
        // An update later than the clock has not happened: the week still shows last week's call.
        const pending = data.updated[uw] === 1 && (data.updatedOn[uw] ?? 0) > asOf;
        const isUpdated = data.updated[uw] === 1 && !pending;
        const src = pending && w > 0 ? uw - 1 : uw;
        const adjustedNow = data.adjusted[u] === 1 && (data.adjustedOn[uw] ?? 0) <= asOf;
        for (let f = 0; f < FORECAST_FIELDS.length; f++) {
          const field = FORECAST_FIELDS[f] as ForecastField;
          if (field.fieldType === "QUOTA") {
            if (wantQuota) entries.push(mk(user.userId, field, week, "quota", data.quota[u] ?? 0));
            continue;
          }
          if (wantForecast) entries.push(mk(user.userId, field, week, "forecast", data.calls[src * CALL_FIELDS + f] ?? 0));
          if (wantUpdated) {
            const e = mk(user.userId, field, week, "forecast_updated", isUpdated);
            if (isUpdated) {
              e.by = user.userId;
              e.on = data.updatedOn[uw] ?? 0;
            }
            entries.push(e);
          }
          if (wantAdjustment && adjustedNow && f < ADJUSTED_FIELDS) {
            const e = mk(user.userId, field, week, "adjustment", data.adjustments[uw * ADJUSTED_FIELDS + f] ?? 0);
            e.by = user.managerUserId ?? user.userId;
            e.on = data.adjustedOn[uw] ?? 0;
            entries.push(e);
          }
          if (wantCrmTotal) entries.push(mk(user.userId, field, week, "crm_total", data.crmTotal[src * CALL_FIELDS + f] ?? 0));
          if (wantCrmClosed) entries.push(mk(user.userId, field, week, "crm_closed", data.crmClosed[uw] ?? 0));
        }
      }
    }
    return { period, weeks, users, types, entries };
  }

  /**
   * Every week-over-week change of a call or an adjustment made in [from, to] (epoch ms), in every
   * tab and every quarter the API would export as of `to` (no future quarter, at most
   * MAX_QUARTERS_BACK back). Week 1 of a quarter opens its calls and has no change to record.
   */
  changes(from: number, to: number): ForecastChange[] {
    const out: ForecastChange[] = [];
    const current = quarterIndex(quarterOf(to));
    const first = Math.max(quarterIndex(quarterOf(from)) - 1, current - MAX_QUARTERS_BACK);
    for (let tabIdx = 0; tabIdx < TABS.length; tabIdx++) {
      const forecastId = (TABS[tabIdx] as TabModel).forecastId;
      for (let qi = first; qi <= current; qi++) {
        const q = quarterFromIndex(qi);
        const data = this.quarter(tabIdx, q);
        const W = data.weeks.length;
        const timePeriod = `${q.year}_Q${q.quarter}`;
        for (let w = 1; w < W; w++) {
          const week = data.weeks[w] as Week;
          if (week.start + 7 * DAY_MS <= from || week.start > to) continue;
          for (const user of this.users) {
            const uw = user.index * W + w;
            const push = (kind: ForecastChange["kind"], byUserId: string, f: number, oldValue: number, newValue: number, on: number): void => {
              if (oldValue === newValue || on < from || on > to) return;
              const fieldName = (FORECAST_FIELDS[f] as ForecastField).fieldName;
              out.push({ kind, forecastId, timePeriod, weekIndex: week.index, userId: user.userId, byUserId, fieldName, oldValue, newValue, on });
            };
            if (data.updated[uw] === 1) {
              for (let f = 0; f < CALL_FIELDS; f++) {
                const at = (i: number): number => data.calls[i * CALL_FIELDS + f] ?? 0;
                push("update", user.userId, f, at(uw - 1), at(uw), data.updatedOn[uw] ?? 0);
              }
            }
            if (data.adjusted[user.index] === 1 && user.managerUserId !== null) {
              for (let f = 0; f < ADJUSTED_FIELDS; f++) {
                const at = (i: number): number => data.adjustments[i * ADJUSTED_FIELDS + f] ?? 0;
                push("adjustment", user.managerUserId, f, at(uw - 1), at(uw), data.adjustedOn[uw] ?? 0);
              }
            }
          }
        }
      }
    }
    return out;
  }

  private quarter(tabIdx: number, q: Quarter): QuarterData {
    const key = `${tabIdx}:${quarterIndex(q)}`;
    let data = this.cache.get(key);
    if (!data) {
      data = this.build(tabIdx, q);
      if (this.cache.size >= 12) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, data);
    }
    return data;
  }

  private build(tabIdx: number, q: Quarter): QuarterData {
    const tab = TABS[tabIdx] as TabModel;
    const users = this.users;
    const n = users.length;
    const weeks = quarterWeeks(q);
    const W = weeks.length;
    const qi = quarterIndex(q);
    const seed = this.seed;

    // Quotas bottom-up: reps get their own; a leader's quota is near the sum of their reports'.
    const quota = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const u = users[i] as SandboxUser;
      const r = rngFor(seed, "quota", tabIdx, qi, i);
      if (u.reports.length === 0) {
        quota[i] = Math.round((r.range(200_000, 1_200_000) * tab.scale) / 5000) * 5000;
      } else {
        let sum = 0;
        for (const c of u.reports) sum += quota[c] ?? 0;
        quota[i] = Math.round((sum * r.range(0.9, 1.05)) / 10_000) * 10_000;
      }
    }

    // Who does not update their call each week: about a quarter of the reps, chosen exactly.
    const repIdx = users.filter((u) => u.level === "REP").map((u) => u.index);
    const updated = new Uint8Array(n * W).fill(1);
    for (let w = 0; w < W; w++) {
      const order = rngFor(seed, "stale", tabIdx, qi, w).shuffle([...repIdx]);
      const stale = Math.round(order.length * 0.25);
      for (let k = 0; k < stale; k++) updated[(order[k] ?? 0) * W + w] = 0;
      const lr = rngFor(seed, "stale-leaders", tabIdx, qi, w);
      for (const u of users) if (u.level !== "REP" && lr.chance(0.1)) updated[u.index * W + w] = 0;
    }

    // Manager overrides: about 15% of reps (at least one) carry adjustments on Commit and Most Likely.
    const adjusted = new Uint8Array(n);
    const adjOrder = rngFor(seed, "adjusted", tabIdx, qi).shuffle(repIdx.filter((i) => (users[i]?.managerIndex ?? -1) >= 0));
    const adjCount = adjOrder.length === 0 ? 0 : Math.max(1, Math.round(repIdx.length * 0.15));
    for (let k = 0; k < adjCount && k < adjOrder.length; k++) adjusted[adjOrder[k] ?? 0] = 1;

    const data: QuarterData = {
      weeks,
      quota,
      updated,
      adjusted,
      calls: new Float64Array(n * W * CALL_FIELDS),
      updatedOn: new Float64Array(n * W),
      adjustments: new Float64Array(n * W * ADJUSTED_FIELDS),
      adjustedOn: new Float64Array(n * W),
      crmTotal: new Float64Array(n * W * CALL_FIELDS),
      crmClosed: new Float64Array(n * W),
    };
    // Reports before their leader (org order puts parents first): a leader's call follows the team's.
    const ctx = { seed, tabIdx, qi, churn: tab.churn, users, data };
    for (let i = n - 1; i >= 0; i--) {
      if ((users[i] as SandboxUser).reports.length === 0) repCalls(ctx, i);
      else leaderCalls(ctx, i);
    }
    return data;
  }
}
