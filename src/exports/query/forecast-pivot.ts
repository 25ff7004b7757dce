/**
 * The forecast export's rows (one per person, field, week and data type) pivoted into one row per
 * person, field and week with the data types side by side, in typed columns. Done here rather
 * than by a GROUP BY in DuckDB: a staging table and its hash aggregate held more memory than the
 * whole result (a 5,000-user export: ~160 MB at peak against ~25 MB of columns). The result is
 * produced a chunk at a time, straight into DuckDB's appender.
 */
import type { ForecastTable } from "../table/forecast-table.js";
import { KeyGroups } from "./key-groups.js";

/** One chunk of pivoted rows: one column per output field; NaN is NULL. Codes index the table's own dictionaries. */
export interface ForecastFacts {
  length: number;
  person: Int32Array;
  period: Int32Array;
  field: Int32Array;
  span: Int32Array;
  /** 1-based week, NaN when the export has none. */
  week: Float64Array;
  /** 1 when this is the latest week of its period, 0 when not, NaN when unknown. */
  isLatest: Float64Array;
  value: Float64Array;
  adjustment: Float64Array;
  /** 1 or 0 (forecast_updated), NaN when not exported. */
  updated: Float64Array;
  updatedBy: Float64Array;
  updatedOn: Float64Array;
  adjustedBy: Float64Array;
  adjustedOn: Float64Array;
  crmTotal: Float64Array;
  crmClosed: Float64Array;
  currency: Float64Array;
}

type Kind = "forecast" | "quota" | "adjustment" | "forecast_updated" | "crm_total" | "crm_closed" | "other";
const KINDS: ReadonlySet<string> = new Set(["forecast", "quota", "adjustment", "forecast_updated", "crm_total", "crm_closed"]);

/** The larger of two, NULL (NaN) losing to any number: SQL's max(). */
const max = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));

/**
 * A key space this small (16 MB of bits) is checked for recurring keys with a bitset, not hashed,
 * unless it is large for the rows (zeroing 8 bytes of bits per row costs about what hashing does).
 */
const BITSET_KEYS = 2 ** 27;
const BITSET_KEYS_PER_ROW = 64;

/**
 * Where each run of one key starts, when no key recurs after its run (else undefined): one pass,
 * each key marked in a bitset of the whole key space, which stays in cache where a hash table of
 * the keys would not (looking keys up cost ~190 ns each, most of the pivot's grouping). A key
 * that recurs late wastes the pass (~10% of grouping that table); exports keep a key together.
 */
function uniqueRuns(n: number, keyOf: (i: number) => number, space: number): Int32Array | undefined {
  const seen = new Uint8Array(Math.ceil(space / 8));
  const starts: number[] = [];
  for (let i = 0, last = -1; i < n; i++) {
    const key = keyOf(i);
    if (key === last) continue;
    // A key past the space (a code out of its dictionary's range) is left to the hash table.
    if (key >= space) return undefined;
    const byte = Math.floor(key / 8);
    const bit = 1 << (key % 8);
    if ((seen[byte] as number) & bit) return undefined;
    seen[byte] = (seen[byte] as number) | bit;
    starts.push(i);
    last = key;
  }
  return Int32Array.from(starts);
}

/**
 * The table's rows grouped by (person, period, field, span, week), groups numbered in first-seen
 * order: each group's first row, and each row's group. `groupOf` is left out when every group is
 * one run of adjacent rows (an export's entries carry their data types side by side, so a key
 * seldom recurs): then group g is rows firstRow[g] .. firstRow[g + 1] - 1, already in order.
 */
function groupRows(table: ForecastTable): { groupOf: Int32Array | undefined; firstRow: Int32Array; count: number } {
  const c = table.columns;
  const n = table.length;
  // Weeks are -1 when unknown; a flat export's "Week -2" would be lower still: keys count from the lowest.
  let maxWeek = 0;
  let minWeek = -1;
  for (const week of c.week) {
    if (week > maxWeek) maxWeek = week;
    else if (week < minWeek) minWeek = week;
  }
  const weeks = maxWeek - minWeek + 1;
  const radix = [table.periodCount, table.fields.values.length, table.spanCount, weeks].map((x) => Math.max(1, x));
  const space = radix.reduce((a, b) => a * b, Math.max(1, table.personCount));
  const exact = space < Number.MAX_SAFE_INTEGER;
  const first: number[] = [];
  if (exact) {
    const [periods, fields, spans] = radix as [number, number, number, number];
    const { person, period, field, span, week } = c;
    const keyOf = (i: number): number =>
      ((((person[i] as number) * periods + (period[i] as number)) * fields + (field[i] as number)) * spans + (span[i] as number)) * weeks + (week[i] as number) - minWeek;
    const runs = space <= Math.min(BITSET_KEYS, BITSET_KEYS_PER_ROW * Math.max(n, 1024)) ? uniqueRuns(n, keyOf, space) : undefined;
    if (runs) return { groupOf: undefined, firstRow: runs, count: runs.length };
    // An entry's data types are rows side by side, with one key. Every key first shows where the
    // key changes from the row before, so the changes bound the groups: the hash table is sized by
    // them (at 5M rows about half the rows, and half the memory), and only a change is looked up.
    // `last` starts as NaN, which equals no key.
    let changes = 0;
    for (let i = 0, last = Number.NaN; i < n; i++) {
      const key = keyOf(i);
      if (key !== last) changes++;
      last = key;
    }
    const groups = new KeyGroups(changes);
    // Rows are written into groupOf only from the first key that recurs (the rows before it are
    // runs, numbered in order); an export without one never needs it.
    let groupOf: Int32Array | undefined;
    for (let i = 0, last = Number.NaN, g = -1; i < n; i++) {
      const key = keyOf(i);
      if (key !== last) {
        g = groups.groupOf(key);
        if (g === first.length) first.push(i);
        else if (!groupOf) groupOf = runsSoFar(first, i, n);
        last = key;
      }
      if (groupOf) groupOf[i] = g;
    }
    return { groupOf, firstRow: Int32Array.from(first), count: first.length };
  }
  const groupOf = new Int32Array(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${c.person[i]},${c.period[i]},${c.field[i]},${c.span[i]},${(c.week[i] as number) + 1}`;
    let g = index.get(key);
    if (g === undefined) {
      g = first.length;
      index.set(key, g);
      first.push(i);
    }
    groupOf[i] = g;
  }
  return { groupOf, firstRow: Int32Array.from(first), count: first.length };
}

/**
 * The pivoted rows, `size` at a time (the arrays of one chunk are reused for the next): the
 * whole result is never held in memory at once, only where each group starts and (when keys
 * recur) each row's group and the rows in group order.
 */
export function* pivotForecast(table: ForecastTable, size = 2048): Generator<ForecastFacts> {
  const c = table.columns;
  const changes = table.changeColumns;
  const { groupOf, firstRow, count } = groupRows(table);
  const kindOf: Kind[] = table.dataTypes.values.map((name) => (KINDS.has(name) ? (name as Kind) : "other"));
  const latest = latestWeeks(table, firstRow);
  const { offset, rows } = groupOf ? groupOrder(groupOf, count) : { offset: runOffsets(firstRow, table.length), rows: undefined };

  const facts = emptyFacts(Math.min(size, count));
  for (let start = 0; start < count; start += size) {
    const n = Math.min(size, count - start);
    facts.length = n;
    for (let k = 0; k < n; k++) {
      const g = start + k;
      const first = firstRow[g] as number;
      facts.person[k] = c.person[first] as number;
      facts.period[k] = c.period[first] as number;
      facts.field[k] = c.field[first] as number;
      facts.span[k] = c.span[first] as number;
      const week = c.week[first] as number;
      facts.week[k] = week >= 0 ? week : Number.NaN;
      facts.isLatest[k] = latest(c.period[first] as number, c.span[first] as number, week);
      let value = Number.NaN, quota = Number.NaN, adjustment = Number.NaN, updated = Number.NaN, updatedBy = Number.NaN, updatedOn = Number.NaN;
      let adjustedBy = Number.NaN, adjustedOn = Number.NaN, crmTotal = Number.NaN, crmClosed = Number.NaN, currency = Number.NaN;
      for (let r = offset[g] as number; r < (offset[g + 1] as number); r++) {
        const i = rows ? (rows[r] as number) : r;
        const v = c.value[i] as number;
        const by = changes ? (changes.by[i] as number) || Number.NaN : Number.NaN;
        const on = changes ? (changes.on[i] as number) : Number.NaN;
        const kind = kindOf[c.dataType[i] as number] ?? "other";
        if (kind !== "forecast_updated") currency = max(currency, c.currency[i] as number);
        if (kind === "forecast") value = max(value, v);
        else if (kind === "quota") quota = max(quota, v);
        else if (kind === "adjustment") {
          adjustment = max(adjustment, v);
          adjustedBy = max(adjustedBy, by);
          adjustedOn = max(adjustedOn, on);
        } else if (kind === "forecast_updated") {
          updated = max(updated, v);
          updatedBy = max(updatedBy, by);
          updatedOn = max(updatedOn, on);
        }
        else if (kind === "crm_total") crmTotal = max(crmTotal, v);
        else if (kind === "crm_closed") crmClosed = max(crmClosed, v);
      }
      // A quota field's value is its quota, used only where no forecast value exists.
      facts.value[k] = Number.isNaN(value) ? quota : value;
      facts.adjustment[k] = adjustment;
      facts.updated[k] = Number.isNaN(updated) ? updated : updated !== 0 ? 1 : 0;
      facts.updatedBy[k] = updatedBy;
      facts.updatedOn[k] = updatedOn;
      facts.adjustedBy[k] = adjustedBy;
      facts.adjustedOn[k] = adjustedOn;
      facts.crmTotal[k] = crmTotal;
      facts.crmClosed[k] = crmClosed;
      facts.currency[k] = currency;
    }
    yield facts;
  }
}

/** Each row's group while the groups so far were runs: rows before `upTo` by their run, the rest left for the caller. */
function runsSoFar(first: readonly number[], upTo: number, n: number): Int32Array {
  const groupOf = new Int32Array(n);
  for (let g = 0; g < first.length; g++) groupOf.fill(g, first[g] as number, g + 1 < first.length ? (first[g + 1] as number) : upTo);
  return groupOf;
}

/** Where each run starts, and the end: the runs are the groups, in order. */
function runOffsets(firstRow: Int32Array, n: number): Int32Array {
  const offset = new Int32Array(firstRow.length + 1);
  offset.set(firstRow);
  offset[firstRow.length] = n;
  return offset;
}

/** The rows in group order (a counting sort): rows[offset[g] .. offset[g + 1]) are group g's. */
function groupOrder(groupOf: Int32Array, count: number): { offset: Int32Array; rows: Int32Array } {
  const offset = new Int32Array(count + 1);
  for (const g of groupOf) offset[g + 1] = (offset[g + 1] as number) + 1;
  for (let g = 0; g < count; g++) offset[g + 1] = (offset[g + 1] as number) + (offset[g] as number);
  const rows = new Int32Array(groupOf.length);
  const fill = offset.slice(0, count);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i] as number;
    rows[fill[g] as number] = i;
    fill[g] = (fill[g] as number) + 1;
  }
  return { offset, rows };
}

function emptyFacts(n: number): ForecastFacts {
  const f64 = () => new Float64Array(n);
  const i32 = () => new Int32Array(n);
  return {
    length: 0,
    person: i32(),
    period: i32(),
    field: i32(),
    span: i32(),
    week: f64(),
    isLatest: f64(),
    value: f64(),
    adjustment: f64(),
    updated: f64(),
    updatedBy: f64(),
    updatedOn: f64(),
    adjustedBy: f64(),
    adjustedOn: f64(),
    crmTotal: f64(),
    crmClosed: f64(),
    currency: f64(),
  };
}

/**
 * The latest week of each period: the latest week start exported for it, else (no dates) the
 * highest week number. A row is latest (1, else 0; NaN unknown) when its week start (or, without
 * one, its week) is that.
 */
function latestWeeks(table: ForecastTable, firstRow: Int32Array): (period: number, span: number, week: number) => number {
  const c = table.columns;
  const spans = Math.max(1, table.spanCount);
  const periods = Math.max(1, table.periodCount);
  const latestStart = new Map<number, string>();
  // -1: no week number seen for the period.
  const latestWeek = new Float64Array(periods).fill(-1);
  // Each (period, span) compares its week start once: the groups name the same few many times.
  const compared = new Uint8Array(periods * spans);
  for (const i of firstRow) {
    const period = c.period[i] as number;
    const pair = period * spans + (c.span[i] as number);
    if (!compared[pair]) {
      compared[pair] = 1;
      const start = table.spanStart(c.span[i] as number);
      if (start !== "" && start > (latestStart.get(period) ?? "")) latestStart.set(period, start);
    }
    const week = c.week[i] as number;
    if (week > (latestWeek[period] as number)) latestWeek[period] = week;
  }
  // Answers by week start, per (period, span), worked out once: the pivot asks for every row.
  const byStart = new Float64Array(periods * spans).fill(-1);
  return (period, span, week) => {
    const known = byStart[period * spans + span] as number;
    if (known >= 0) return known;
    const start = table.spanStart(span);
    const lastStart = latestStart.get(period);
    if (start !== "" && lastStart !== undefined) return (byStart[period * spans + span] = start === lastStart ? 1 : 0);
    const lastWeek = latestWeek[period] as number;
    return week >= 0 && lastWeek >= 0 ? (week === lastWeek ? 1 : 0) : Number.NaN;
  };
}
