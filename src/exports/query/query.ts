/**
 * The query engine that answers chat forecast questions over a normalised export:
 * totals and pivots ("commit vs quota by manager"), forecast hygiene ("who has not updated"),
 * week-over-week change, and hierarchy roll-ups.
 *
 * Every mode is a single pass (plus one cheap pass to find the weeks) over the columnar arrays,
 * with integer group keys and no per-row object allocation. Output is always bounded by `limit`.
 */

import type { ForecastTable } from "../table/forecast-table.js";
import {
  ForecastQuerySchema,
  type ForecastQuery,
  type ForecastQueryCell,
  type ForecastQueryInput,
  type ForecastQueryResult,
  type GroupDimension,
} from "./query-schema.js";
import { parseTimePeriodLabel } from "../read/values.js";

export {
  ForecastQuerySchema,
  ForecastQueryResultSchema,
  type ForecastQuery,
  type ForecastQueryInput,
  type ForecastQueryResult,
} from "./query-schema.js";

type Row = Record<string, ForecastQueryCell>;
type WeekInfo = ForecastQueryResult["weeks"][number];

const NONE = -2147483648;
const PAIR = 2097152; // 2^21: multiplier for (code, code) pairs packed in one number
const MAX_LISTED = 12;
const COLUMN_TYPE_ORDER = ["forecast", "quota", "adjustment", "crm_total", "crm_closed", "forecast_updated"];

function round4(n: number): number {
  return Math.round(n * 10000) / 10000;
}

function toList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter((s) => s !== "");
  return list.length > 0 ? list : undefined;
}

function listed(values: Iterable<string>): string {
  const all = [...new Set(values)].filter((s) => s !== "");
  const head = all.slice(0, MAX_LISTED).map((s) => JSON.stringify(s));
  return all.length > MAX_LISTED ? `${head.join(", ")} and ${all.length - MAX_LISTED} more` : head.join(", ");
}

function camel(s: string, upperFirst: boolean): string {
  const words = s.split(/[^A-Za-z0-9]+/).filter((w) => w !== "");
  return words
    .map((w, i) => {
      const lower = w.toLowerCase();
      return i === 0 && !upperFirst ? lower : lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join("");
}

/** The name of a ratio column: ("Commit", "Quota") -> "commitToQuota". */
export function ratioColumnName(numerator: string, denominator: string): string {
  return `${camel(numerator, false) || "numerator"}To${camel(denominator, true) || "Denominator"}`;
}

/** Sorts rows by a column; nulls always last. */
function sortRows(rows: Row[], column: string, order: "asc" | "desc", absolute = false): void {
  const dir = order === "asc" ? 1 : -1;
  rows.sort((a, b) => {
    let x = a[column] ?? null;
    let y = b[column] ?? null;
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    if (absolute && typeof x === "number" && typeof y === "number") {
      x = Math.abs(x);
      y = Math.abs(y);
    }
    if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
    if (typeof x === "boolean" && typeof y === "boolean") return (Number(x) - Number(y)) * dir;
    return String(x).localeCompare(String(y)) * dir;
  });
}

/** Filters, role tree and week selection shared by every mode. */
class QueryContext {
  readonly warnings: string[] = [];
  readonly personMask: Uint8Array;
  readonly fieldMask: Uint8Array;
  readonly dataTypeMask: Uint8Array;
  readonly periodMask: Uint8Array;
  /** role code -> child role codes. */
  readonly children = new Map<number, Set<number>>();
  readonly roleCodes = new Set<number>();
  /** person -> user identity code (same human across roles). */
  readonly userKey: Int32Array;
  readonly personRole: Uint32Array;
  readonly personParentRole: Uint32Array;
  /** Per period: the week used ("current") and, for week_over_week, the one compared with. */
  readonly currentWeek: Int32Array;
  readonly previousWeek: Int32Array;
  allWeeks = false;
  /** (period, week) -> span code, for rows passing the filters. */
  readonly weekSpans = new Map<number, number>();
  readonly fieldsSeen: Uint8Array;
  readonly dataTypesSeen: Uint8Array;
  /** Data types present in the whole table, whatever the filters. */
  readonly dataTypesInTable: Uint8Array;

  constructor(
    readonly table: ForecastTable,
    readonly q: ForecastQuery,
    defaultDataTypes: readonly string[],
    options: { personFilters: boolean },
  ) {
    const t = table;
    this.personRole = t.personColumn("role");
    this.personParentRole = t.personColumn("parentRole");
    this.userKey = new Int32Array(t.personCount);
    const identities = new Map<string, number>();
    for (let p = 0; p < t.personCount; p++) {
      const person = t.person(p);
      const id = person.userId || person.email.toLowerCase() || person.user.toLowerCase();
      let code = identities.get(id);
      if (code === undefined) {
        code = identities.size;
        identities.set(id, code);
      }
      this.userKey[p] = code;
      const r = this.personRole[p] as number;
      const pr = this.personParentRole[p] as number;
      this.roleCodes.add(r);
      if (t.roles.get(pr) !== "" && pr !== r) {
        let set = this.children.get(pr);
        if (!set) this.children.set(pr, (set = new Set()));
        set.add(r);
      }
    }

    this.personMask = new Uint8Array(t.personCount).fill(1);
    if (options.personFilters) this.applyPersonFilters();
    else {
      const ignored = (["user", "role", "parentRole", "roleContains"] as const).filter((k) => this.q[k] !== undefined);
      if (this.q.managersOnly) ignored.push("managersOnly" as never);
      if (ignored.length > 0) this.warnings.push(`Ignored in ${q.mode} mode: ${ignored.join(", ")}.`);
    }

    this.fieldMask = new Uint8Array(t.fields.size).fill(1);
    const fields = toList(q.field);
    if (fields) {
      const wanted = fields.map((f) => f.toLowerCase());
      if (q.ratio) wanted.push(q.ratio.numerator.toLowerCase(), q.ratio.denominator.toLowerCase());
      this.fieldMask.fill(0);
      const found = new Set<string>();
      t.fields.values.forEach((name, code) => {
        const lower = name.toLowerCase();
        if (wanted.includes(lower)) {
          this.fieldMask[code] = 1;
          found.add(lower);
        }
      });
      const missing = fields.filter((f) => !found.has(f.toLowerCase()));
      if (missing.length > 0) {
        this.warnings.push(`No field named ${listed(missing)}. Fields in this export: ${listed(t.fields.values)}.`);
      }
    }

    this.dataTypeMask = new Uint8Array(t.dataTypes.size);
    const dts = q.dataType === undefined ? [...defaultDataTypes] : Array.isArray(q.dataType) ? q.dataType : [q.dataType];
    for (const dt of dts) {
      const code = t.dataTypes.lookup(dt);
      if (code !== undefined) this.dataTypeMask[code] = 1;
    }

    this.periodMask = new Uint8Array(t.periodCount).fill(1);
    if (q.timePeriod !== undefined && q.timePeriod.trim() !== "") {
      const want = q.timePeriod.trim().toLowerCase();
      const wantId = parseTimePeriodLabel(q.timePeriod);
      let any = false;
      for (let p = 0; p < t.periodCount; p++) {
        const ok =
          t.periodLabel(p).toLowerCase() === want ||
          t.periodId(p).toLowerCase() === want ||
          (wantId !== undefined && t.periodId(p) === wantId);
        this.periodMask[p] = ok ? 1 : 0;
        any ||= ok;
      }
      if (!any) {
        const periods = Array.from({ length: t.periodCount }, (_, p) => t.periodLabel(p));
        this.warnings.push(`No time period ${JSON.stringify(q.timePeriod)} in this export; it holds ${listed(periods)}.`);
      }
    }

    this.fieldsSeen = new Uint8Array(t.fields.size);
    this.dataTypesSeen = new Uint8Array(t.dataTypes.size);
    this.dataTypesInTable = new Uint8Array(t.dataTypes.size);
    this.currentWeek = new Int32Array(t.periodCount).fill(NONE);
    this.previousWeek = new Int32Array(t.periodCount).fill(NONE);
    this.scanWeeks();
    if (t.length > 0 && !this.dataTypeMask.some((x, d) => x === 1 && this.dataTypesInTable[d] === 1)) {
      const present = [...this.dataTypesInTable.keys()].filter((d) => this.dataTypesInTable[d] === 1).map((d) => t.dataTypes.get(d));
      this.warnings.push(
        `This export has no ${dts.join(" or ")} data (it has ${listed(present)}). Export again with typesToExport including it.`,
      );
    }
  }

  /** The role codes of a role and everyone under it. */
  subtree(role: number): Set<number> {
    const out = new Set<number>([role]);
    const stack = [role];
    while (stack.length > 0) {
      const r = stack.pop() as number;
      for (const c of this.children.get(r) ?? []) {
        if (!out.has(c)) {
          out.add(c);
          stack.push(c);
        }
      }
    }
    return out;
  }

  /** Finds a role by name, or by a user's name/email/userId (meaning that user's role). */
  resolveRole(name: string): number | undefined {
    const want = name.trim().toLowerCase();
    for (const r of this.roleCodes) if (this.table.roles.get(r).toLowerCase() === want) return r;
    for (let p = 0; p < this.table.personCount; p++) {
      const person = this.table.person(p);
      if (
        person.user.toLowerCase() === want ||
        person.email.toLowerCase() === want ||
        person.userId.toLowerCase() === want
      ) {
        return this.personRole[p];
      }
    }
    return undefined;
  }

  private roleNames(): string[] {
    return [...this.roleCodes].map((r) => this.table.roles.get(r));
  }

  private applyPersonFilters(): void {
    const t = this.table;
    const q = this.q;
    const mask = this.personMask;
    const users = toList(q.user)?.map((s) => s.toLowerCase());
    const roles = toList(q.role)?.map((s) => s.toLowerCase());
    const parents = toList(q.parentRole)?.map((s) => s.toLowerCase());
    const contains = q.roleContains?.trim().toLowerCase();
    let under: Set<number> | undefined;
    if (q.underRole !== undefined && q.underRole.trim() !== "") {
      const r = this.resolveRole(q.underRole);
      if (r === undefined) {
        this.warnings.push(`No role or user named ${JSON.stringify(q.underRole)}. Roles: ${listed(this.roleNames())}.`);
        under = new Set();
      } else under = this.subtree(r);
    }
    const userHits = new Set<string>();
    const roleHits = new Set<string>();
    const parentHits = new Set<string>();
    for (let p = 0; p < t.personCount; p++) {
      const person = t.person(p);
      const role = person.role.toLowerCase();
      let ok = true;
      if (users) {
        const hit = users.find(
          (u) => u === person.user.toLowerCase() || u === person.email.toLowerCase() || u === person.userId.toLowerCase() || u === person.crmUserId.toLowerCase(),
        );
        if (hit) userHits.add(hit);
        else ok = false;
      }
      if (roles) {
        if (roles.includes(role)) roleHits.add(role);
        else ok = false;
      }
      if (parents) {
        const pr = person.parentRole.toLowerCase();
        if (parents.includes(pr)) parentHits.add(pr);
        else ok = false;
      }
      if (contains !== undefined && contains !== "" && !role.includes(contains)) ok = false;
      if (under && !under.has(this.personRole[p] as number)) ok = false;
      if (q.managersOnly && !this.children.has(this.personRole[p] as number)) ok = false;
      mask[p] = ok ? 1 : 0;
    }
    const miss = (list: string[] | undefined, hits: Set<string>) => (list ?? []).filter((x) => !hits.has(x));
    const missingUsers = miss(users, userHits);
    if (missingUsers.length > 0) {
      const names = Array.from({ length: t.personCount }, (_, p) => t.person(p).user);
      this.warnings.push(`No user matching ${listed(missingUsers)}. Users include ${listed(names)}.`);
    }
    const missingRoles = [...miss(roles, roleHits), ...miss(parents, parentHits)];
    if (missingRoles.length > 0) {
      this.warnings.push(`No role matching ${listed(missingRoles)}. Roles: ${listed(this.roleNames())}.`);
    }
    if (contains && !this.roleNames().some((r) => r.toLowerCase().includes(contains))) {
      this.warnings.push(`No role contains ${JSON.stringify(q.roleContains)}. Roles: ${listed(this.roleNames())}.`);
    }
  }

  /** True when row i passes every filter except the week. */
  passes(i: number, c: ForecastTable["columns"]): boolean {
    return (
      this.personMask[c.person[i] as number] === 1 &&
      this.fieldMask[c.field[i] as number] === 1 &&
      this.dataTypeMask[c.dataType[i] as number] === 1 &&
      this.periodMask[c.period[i] as number] === 1
    );
  }

  /** One pass to find the weeks of the filtered rows; then picks the week(s) to use. */
  private scanWeeks(): void {
    const t = this.table;
    const c = t.columns;
    const n = t.length;
    const pm = this.personMask;
    const fm = this.fieldMask;
    const dm = this.dataTypeMask;
    const prm = this.periodMask;
    const inTable = this.dataTypesInTable;
    let lastKey = -1;
    for (let i = 0; i < n; i++) {
      const f = c.field[i] as number;
      const d = c.dataType[i] as number;
      const p = c.period[i] as number;
      inTable[d] = 1;
      if (pm[c.person[i] as number] !== 1 || fm[f] !== 1 || dm[d] !== 1 || prm[p] !== 1) continue;
      this.fieldsSeen[f] = 1;
      this.dataTypesSeen[d] = 1;
      const key = p * 65536 + ((c.week[i] as number) + 32768);
      if (key !== lastKey) {
        if (!this.weekSpans.has(key)) this.weekSpans.set(key, c.span[i] as number);
        lastKey = key;
      }
    }
    const q = this.q;
    const byPeriod = this.weeksByPeriod();
    const wantsAll = q.week === "all";
    if (wantsAll && q.mode !== "aggregate") {
      this.warnings.push(`week "all" is not meaningful in ${q.mode} mode; used the latest week.`);
    }
    this.allWeeks = wantsAll && q.mode === "aggregate";
    const missingWeek: string[] = [];
    for (const [p, weeks] of byPeriod) {
      let current: number;
      if (typeof q.week === "number") {
        if (!weeks.includes(q.week)) {
          missingWeek.push(`${t.periodLabel(p)} has weeks ${weeks.join(", ")}`);
          continue;
        }
        current = q.week;
      } else current = weeks[weeks.length - 1] as number;
      this.currentWeek[p] = current;
      if (q.compareToWeek !== undefined) {
        if (weeks.includes(q.compareToWeek)) this.previousWeek[p] = q.compareToWeek;
        else missingWeek.push(`${t.periodLabel(p)} has no week ${q.compareToWeek} (weeks ${weeks.join(", ")})`);
      } else {
        const earlier = weeks.filter((w) => w < current);
        if (earlier.length > 0) this.previousWeek[p] = earlier[earlier.length - 1] as number;
      }
    }
    if (missingWeek.length > 0) {
      this.warnings.push(`Week not found: ${missingWeek.slice(0, 5).join("; ")}.`);
    }
  }

  /** period -> sorted distinct weeks among filtered rows. */
  weeksByPeriod(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const key of this.weekSpans.keys()) {
      const p = Math.floor(key / 65536);
      const w = (key % 65536) - 32768;
      let list = out.get(p);
      if (!list) out.set(p, (list = []));
      list.push(w);
    }
    for (const list of out.values()) list.sort((a, b) => a - b);
    return out;
  }

  /** True when row i is in the selected week of its period. */
  inCurrentWeek(period: number, week: number): boolean {
    return this.allWeeks || this.currentWeek[period] === week;
  }

  weekInfo(which: "current" | "previous"): WeekInfo[] {
    if (which === "current" && this.allWeeks) return [];
    const arr = which === "current" ? this.currentWeek : this.previousWeek;
    const out: WeekInfo[] = [];
    arr.forEach((w, p) => {
      if (w === NONE) return;
      const span = this.weekSpans.get(p * 65536 + (w + 32768));
      out.push({
        timePeriod: this.table.periodLabel(p),
        week: w,
        weekStart: span === undefined ? "" : this.table.spanStart(span),
        weekEnd: span === undefined ? "" : this.table.spanEnd(span),
      });
    });
    return out.slice(0, 20);
  }

  /** Distinct selected data type codes present in the filtered rows. */
  presentDataTypes(): number[] {
    const out: number[] = [];
    this.dataTypesSeen.forEach((s, d) => {
      if (s) out.push(d);
    });
    return out;
  }

  presentFields(): number[] {
    const out: number[] = [];
    this.fieldsSeen.forEach((s, f) => {
      if (s) out.push(f);
    });
    return out;
  }
}

// ------------------------------------------------------------------ grouping

interface Keyer {
  key(i: number): number;
}

/** Builds an integer group key over the given dimensions (mixed radix, or interned pairs). */
function makeKeyer(ctx: QueryContext, dims: readonly GroupDimension[]): Keyer {
  const t = ctx.table;
  const c = t.columns;
  let minWeek = 0;
  let maxWeek = 0;
  for (const key of ctx.weekSpans.keys()) {
    const w = (key % 65536) - 32768;
    minWeek = Math.min(minWeek, w);
    maxWeek = Math.max(maxWeek, w);
  }
  const parts = dims.map((d): { code: (i: number) => number; radix: number } => {
    switch (d) {
      case "user":
        return { code: (i) => ctx.userKey[c.person[i] as number] as number, radix: Math.max(1, t.personCount) };
      case "role":
        return { code: (i) => ctx.personRole[c.person[i] as number] as number, radix: Math.max(1, t.roles.size) };
      case "parentRole":
        return { code: (i) => ctx.personParentRole[c.person[i] as number] as number, radix: Math.max(1, t.roles.size) };
      case "field":
        return { code: (i) => c.field[i] as number, radix: Math.max(1, t.fields.size) };
      case "dataType":
        return { code: (i) => c.dataType[i] as number, radix: Math.max(1, t.dataTypes.size) };
      case "week":
        return { code: (i) => (c.week[i] as number) - minWeek, radix: maxWeek - minWeek + 1 };
      case "timePeriod":
        return { code: (i) => c.period[i] as number, radix: Math.max(1, t.periodCount) };
    }
  });
  if (parts.length === 0) return { key: () => 0 };
  const total = parts.reduce((acc, p) => acc * p.radix, 1);
  if (total < 2 ** 52) {
    const strides: number[] = [];
    let s = 1;
    for (const p of parts) {
      strides.push(s);
      s *= p.radix;
    }
    if (parts.length === 1) {
      const only = (parts[0] as (typeof parts)[number]).code;
      return { key: only };
    }
    return {
      key(i) {
        let k = 0;
        for (let d = 0; d < parts.length; d++) k += (parts[d] as (typeof parts)[number]).code(i) * (strides[d] as number);
        return k;
      },
    };
  }
  // Too many combinations for one number: intern prefixes pairwise.
  const pairMaps = parts.map(() => new Map<number, number>());
  return {
    key(i) {
      let k = (parts[0] as (typeof parts)[number]).code(i);
      for (let d = 1; d < parts.length; d++) {
        const m = pairMaps[d] as Map<number, number>;
        const pairKey = k * (parts[d] as (typeof parts)[number]).radix + (parts[d] as (typeof parts)[number]).code(i);
        let next = m.get(pairKey);
        if (next === undefined) {
          next = m.size;
          m.set(pairKey, next);
        }
        k = next;
      }
      return k;
    },
  };
}

/** Growable per-group accumulators. */
class Accumulators {
  sum: number[] = [];
  count: number[] = [];
  min: number[] = [];
  max: number[] = [];
  first: number[] = [];
  readonly index = new Map<number, number>();

  group(key: number, row: number): number {
    let g = this.index.get(key);
    if (g === undefined) {
      g = this.first.length;
      this.index.set(key, g);
      this.first.push(row);
      this.sum.push(0);
      this.count.push(0);
      this.min.push(Number.POSITIVE_INFINITY);
      this.max.push(Number.NEGATIVE_INFINITY);
    }
    return g;
  }

  add(g: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.sum[g] = (this.sum[g] as number) + v;
    this.count[g] = (this.count[g] as number) + 1;
    if (v < (this.min[g] as number)) this.min[g] = v;
    if (v > (this.max[g] as number)) this.max[g] = v;
  }

  value(g: number, how: ForecastQuery["aggregate"]): number | null {
    const n = this.count[g] as number;
    if (how === "count") return n;
    if (n === 0) return null;
    switch (how) {
      case "sum":
        return round4(this.sum[g] as number);
      case "avg":
        return round4((this.sum[g] as number) / n);
      case "min":
        return round4(this.min[g] as number);
      case "max":
        return round4(this.max[g] as number);
    }
  }
}

/** Writes the labels of a group's dimensions, read from its first row. */
function labelDims(ctx: QueryContext, dims: readonly GroupDimension[], i: number, out: Row): void {
  const t = ctx.table;
  for (const d of dims) {
    switch (d) {
      case "user":
        out.user = t.get("user", i);
        break;
      case "week":
        out.week = t.columns.week[i] as number;
        out.weekStart = t.get("weekStart", i);
        break;
      default:
        out[d] = t.get(d, i);
    }
  }
}

function dimColumns(dims: readonly GroupDimension[]): string[] {
  return dims.flatMap((d) => (d === "week" ? ["week", "weekStart"] : [d]));
}

function finish(
  ctx: QueryContext,
  rows: Row[],
  columns: string[],
  extra: Partial<ForecastQueryResult> & { matchedRows: number },
): ForecastQueryResult {
  const limit = ctx.q.limit;
  return {
    mode: ctx.q.mode,
    weeks: extra.weeks ?? ctx.weekInfo("current"),
    ...(extra.comparedWeeks ? { comparedWeeks: extra.comparedWeeks } : {}),
    columns,
    rows: rows.slice(0, limit),
    totalGroups: rows.length,
    truncated: rows.length > limit,
    matchedRows: extra.matchedRows,
    warnings: ctx.warnings.slice(0, 20),
  };
}

function resolveSort(ctx: QueryContext, columns: string[], fallback: string): string {
  const want = ctx.q.sortBy.trim();
  if (want === "" || want.toLowerCase() === "value") return fallback;
  const hit = columns.find((c) => c.toLowerCase() === want.toLowerCase());
  if (hit) return hit;
  ctx.warnings.push(`Cannot sort by ${JSON.stringify(want)}: columns are ${listed(columns)}. Sorted by ${fallback}.`);
  return fallback;
}

// ------------------------------------------------------------------ modes

function runAggregate(ctx: QueryContext): ForecastQueryResult {
  const t = ctx.table;
  const q = ctx.q;
  const c = t.columns;
  const pivot = q.pivotFields || q.ratio !== undefined;
  let dims: GroupDimension[] = [...new Set(q.groupBy ?? (pivot ? [] : ["field", "dataType"]))] as GroupDimension[];
  if (pivot) dims = dims.filter((d) => d !== "field");
  else if (q.aggregate !== "count") {
    const added: string[] = [];
    if (!dims.includes("field") && ctx.presentFields().length > 1) {
      dims.push("field");
      added.push("field");
    }
    if (!dims.includes("dataType") && ctx.presentDataTypes().length > 1) {
      dims.push("dataType");
      added.push("dataType");
    }
    if (added.length > 0) {
      ctx.warnings.push(`Added ${added.join(" and ")} to groupBy: values of different fields or data types are not summed together.`);
    }
  }
  const keyer = makeKeyer(ctx, dims);
  const acc = new Accumulators();
  const n = t.length;
  let matched = 0;

  if (!pivot) {
    for (let i = 0; i < n; i++) {
      if (!ctx.passes(i, c) || !ctx.inCurrentWeek(c.period[i] as number, c.week[i] as number)) continue;
      matched++;
      acc.add(acc.group(keyer.key(i), i), c.value[i] as number);
    }
    const rows: Row[] = acc.first.map((i, g) => {
      const row: Row = {};
      labelDims(ctx, dims, i, row);
      row.value = acc.value(g, q.aggregate);
      return row;
    });
    const columns = [...dimColumns(dims), "value"];
    sortRows(rows, resolveSort(ctx, columns, "value"), q.sortOrder);
    return finish(ctx, rows, columns, { matchedRows: matched });
  }

  // Pivot: one row per group, one column per (field[, data type]).
  const nd = Math.max(1, t.dataTypes.size);
  const colOf = new Map<number, number>(); // field * nd + dataType -> column number
  const colPairs: number[] = [];
  const outer = new Accumulators();
  for (let i = 0; i < n; i++) {
    if (!ctx.passes(i, c) || !ctx.inCurrentWeek(c.period[i] as number, c.week[i] as number)) continue;
    matched++;
    const g = outer.group(keyer.key(i), i);
    const pair = (c.field[i] as number) * nd + (c.dataType[i] as number);
    let col = colOf.get(pair);
    if (col === undefined) {
      col = colPairs.length;
      colOf.set(pair, col);
      colPairs.push(pair);
    }
    // Cell accumulators are keyed outer group * 65536 + column.
    acc.add(acc.group(g * 65536 + col, i), c.value[i] as number);
  }
  // Column names: the field, plus the data type when one field has several.
  const typesPerField = new Map<number, number>();
  for (const pair of colPairs) {
    const f = Math.floor(pair / nd);
    typesPerField.set(f, (typesPerField.get(f) ?? 0) + 1);
  }
  const pivotDims = dims.includes("dataType");
  const colNames = colPairs.map((pair) => {
    const f = Math.floor(pair / nd);
    const name = t.fields.get(f);
    return !pivotDims && (typesPerField.get(f) ?? 0) > 1 ? `${name} (${t.dataTypes.get(pair % nd)})` : name;
  });
  // Calls first, then quota, then the other data types; fields in order of appearance.
  const rank = (pair: number): number => {
    const r = COLUMN_TYPE_ORDER.indexOf(t.dataTypes.get(pair % nd));
    return r < 0 ? COLUMN_TYPE_ORDER.length : r;
  };
  const order = colNames.map((_, k) => k).sort((a, b) => {
    const pa = colPairs[a] as number;
    const pb = colPairs[b] as number;
    return rank(pa) - rank(pb) || Math.floor(pa / nd) - Math.floor(pb / nd) || pa - pb;
  });

  let ratioName: string | undefined;
  let numCol = -1;
  let denCol = -1;
  if (q.ratio) {
    ratioName = ratioColumnName(q.ratio.numerator, q.ratio.denominator);
    const pick = (field: string, prefer: string): number => {
      const lower = field.trim().toLowerCase();
      const exact = colNames.findIndex((n) => n.toLowerCase() === lower);
      if (exact >= 0) return exact;
      const candidates = colPairs
        .map((pair, k) => ({ k, pair }))
        .filter(({ pair }) => t.fields.get(Math.floor(pair / nd)).toLowerCase() === lower);
      const preferred = candidates.find(({ pair }) => t.dataTypes.get(pair % nd) === prefer);
      return (preferred ?? candidates[0])?.k ?? -1;
    };
    numCol = pick(q.ratio.numerator, "forecast");
    denCol = pick(q.ratio.denominator, "quota");
    const missing = [numCol < 0 ? q.ratio.numerator : "", denCol < 0 ? q.ratio.denominator : ""].filter((s) => s);
    if (missing.length > 0) {
      ctx.warnings.push(
        `Ratio ${ratioName}: no ${listed(missing)} values in the selected rows (fields: ${listed(t.fields.values)}); the ratio is null.`,
      );
    }
  }

  const rows: Row[] = outer.first.map((i, g) => {
    const row: Row = {};
    labelDims(ctx, dims, i, row);
    const vals: Array<number | null> = colNames.map(() => null);
    for (let k = 0; k < colNames.length; k++) {
      const a = acc.index.get(g * 65536 + k);
      vals[k] = a === undefined ? (q.aggregate === "count" ? 0 : null) : acc.value(a, q.aggregate);
    }
    for (const k of order) row[colNames[k] as string] = vals[k] ?? null;
    if (ratioName) {
      const num = numCol >= 0 ? (vals[numCol] ?? null) : null;
      const den = denCol >= 0 ? (vals[denCol] ?? null) : null;
      row[ratioName] = num === null || den === null || den === 0 ? null : round4(num / den);
    }
    return row;
  });
  const valueColumns = order.map((k) => colNames[k] as string);
  const columns = [...dimColumns(dims), ...valueColumns, ...(ratioName ? [ratioName] : [])];
  const fallback = ratioName ?? valueColumns[0] ?? columns[0] ?? "value";
  sortRows(rows, resolveSort(ctx, columns, fallback), q.sortOrder);
  return finish(ctx, rows, columns, { matchedRows: matched });
}

function runNotUpdated(ctx: QueryContext): ForecastQueryResult {
  const t = ctx.table;
  const q = ctx.q;
  const c = t.columns;
  const n = t.length;
  const byGroup = new Map<number, { first: number; notUpdated: Set<number>; updated: number }>();
  const multiPeriod = ctx.weekInfo("current").length > 1;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    if (!ctx.passes(i, c)) continue;
    const p = c.period[i] as number;
    if (!ctx.inCurrentWeek(p, c.week[i] as number)) continue;
    const v = c.value[i] as number;
    if (Number.isNaN(v)) continue;
    matched++;
    const person = c.person[i] as number;
    const key = multiPeriod ? person * PAIR + p : person;
    let g = byGroup.get(key);
    if (!g) byGroup.set(key, (g = { first: i, notUpdated: new Set(), updated: 0 }));
    if (v === 0) g.notUpdated.add(c.field[i] as number);
    else g.updated++;
  }
  const rows: Row[] = [];
  for (const g of byGroup.values()) {
    if (g.notUpdated.size === 0) continue;
    const row: Row = {
      user: t.get("user", g.first),
      email: t.get("email", g.first),
      role: t.get("role", g.first),
      parentRole: t.get("parentRole", g.first),
    };
    if (multiPeriod) row.timePeriod = t.get("timePeriod", g.first);
    row.fieldsNotUpdated = [...g.notUpdated].map((f) => t.fields.get(f)).join(", ");
    row.notUpdatedCount = g.notUpdated.size;
    row.updatedCount = g.updated;
    rows.push(row);
  }
  const columns = [
    "user",
    "email",
    "role",
    "parentRole",
    ...(multiPeriod ? ["timePeriod"] : []),
    "fieldsNotUpdated",
    "notUpdatedCount",
    "updatedCount",
  ];
  const sortCol = resolveSort(ctx, columns, "notUpdatedCount");
  sortRows(rows, "user", "asc");
  sortRows(rows, sortCol, q.sortOrder);
  if (byGroup.size > 0) {
    ctx.warnings.unshift(`${rows.length} of ${byGroup.size} users checked have not updated at least one call.`);
  }
  return finish(ctx, rows, columns, { matchedRows: matched });
}

function runWeekOverWeek(ctx: QueryContext): ForecastQueryResult {
  const t = ctx.table;
  const q = ctx.q;
  const c = t.columns;
  const n = t.length;
  const byPeriod = ctx.weeksByPeriod();
  const hasHistory = [...ctx.previousWeek].some((w) => w !== NONE);
  if (!hasHistory) {
    const only = [...byPeriod.entries()].map(([p, ws]) => `${t.periodLabel(p)}: week ${ws.join(", ")}`);
    ctx.warnings.push(
      `Week-over-week needs at least two weeks, but the export holds only ${only.join("; ") || "no weeks"}. ` +
        "Export again with includeHistorical=true.",
    );
    return finish(ctx, [], [], { matchedRows: 0, comparedWeeks: [] });
  }
  const baseDims = [...new Set(q.groupBy ?? ["user"])].filter((d) => d !== "week") as GroupDimension[];
  const dims: GroupDimension[] = [...baseDims];
  if (!dims.includes("field")) dims.push("field");
  const showType = ctx.presentDataTypes().length > 1;
  if (showType && !dims.includes("dataType")) dims.push("dataType");
  const keyer = makeKeyer(ctx, dims);
  const cur = new Accumulators();
  const prevSum = new Map<number, { sum: number; count: number }>();
  let matched = 0;
  for (let i = 0; i < n; i++) {
    if (!ctx.passes(i, c)) continue;
    const p = c.period[i] as number;
    const w = c.week[i] as number;
    const isCur = ctx.currentWeek[p] === w;
    const isPrev = ctx.previousWeek[p] === w;
    if (!isCur && !isPrev) continue;
    matched++;
    const g = cur.group(keyer.key(i), i);
    const v = c.value[i] as number;
    if (isCur) cur.add(g, v);
    else if (!Number.isNaN(v)) {
      const e = prevSum.get(g);
      if (e) {
        e.sum += v;
        e.count++;
      } else prevSum.set(g, { sum: v, count: 1 });
    }
  }
  const rows: Row[] = cur.first.map((i, g) => {
    const row: Row = {};
    labelDims(ctx, dims, i, row);
    const current = (cur.count[g] as number) > 0 ? round4(cur.sum[g] as number) : null;
    const pe = prevSum.get(g);
    const previous = pe && pe.count > 0 ? round4(pe.sum) : null;
    row.previous = previous;
    row.current = current;
    row.change = current !== null && previous !== null ? round4(current - previous) : null;
    row.changePercent =
      current !== null && previous !== null && previous !== 0
        ? Math.round(((current - previous) / Math.abs(previous)) * 10000) / 100
        : null;
    return row;
  });
  const columns = [...dimColumns(dims), "previous", "current", "change", "changePercent"];
  const sortCol = resolveSort(ctx, columns, "change");
  sortRows(rows, sortCol, q.sortOrder, sortCol === "change" && q.sortBy.trim().toLowerCase() === "value");
  return finish(ctx, rows, columns, { matchedRows: matched, comparedWeeks: ctx.weekInfo("previous") });
}

function runRollup(ctx: QueryContext): ForecastQueryResult {
  const t = ctx.table;
  const q = ctx.q;
  const c = t.columns;
  const n = t.length;

  // The role to roll up: underRole, else the top of the hierarchy.
  let root: number | undefined;
  if (q.underRole !== undefined && q.underRole.trim() !== "") {
    root = ctx.resolveRole(q.underRole);
    if (root === undefined) {
      ctx.warnings.push(
        `No role or user named ${JSON.stringify(q.underRole)}. Roles: ${listed([...ctx.roleCodes].map((r) => t.roles.get(r)))}.`,
      );
      return finish(ctx, [], [], { matchedRows: 0 });
    }
  } else {
    const isChild = new Set<number>();
    for (const set of ctx.children.values()) for (const r of set) isChild.add(r);
    const roots = [...ctx.roleCodes].filter((r) => !isChild.has(r));
    roots.sort((a, b) => ctx.subtree(b).size - ctx.subtree(a).size);
    root = roots[0];
    if (root === undefined) return finish(ctx, [], [], { matchedRows: 0 });
    if (roots.length > 1) {
      ctx.warnings.push(
        `No underRole given: rolled up ${JSON.stringify(t.roles.get(root))}; other top roles: ${listed(roots.slice(1).map((r) => t.roles.get(r)))}.`,
      );
    }
  }

  // Own numbers per (role, field, dataType).
  const nf = Math.max(1, t.fields.size);
  const nd = Math.max(1, t.dataTypes.size);
  const combos = nf * nd;
  const own = new Map<number, { sum: number; count: number }>();
  const combosSeen = new Set<number>();
  const usersOfRole = new Map<number, Set<string>>();
  const personUser = t.personColumn("user");
  let matched = 0;
  for (let i = 0; i < n; i++) {
    if (!ctx.passes(i, c)) continue;
    if (!ctx.inCurrentWeek(c.period[i] as number, c.week[i] as number)) continue;
    matched++;
    const person = c.person[i] as number;
    const role = ctx.personRole[person] as number;
    const combo = (c.field[i] as number) * nd + (c.dataType[i] as number);
    combosSeen.add(combo);
    const key = role * combos + combo;
    const v = c.value[i] as number;
    let e = own.get(key);
    if (!e) own.set(key, (e = { sum: 0, count: 0 }));
    if (!Number.isNaN(v)) {
      e.sum += v;
      e.count++;
    }
    let names = usersOfRole.get(role);
    if (!names) usersOfRole.set(role, (names = new Set()));
    if (names.size < 4) names.add(t.users.get(personUser[person] as number));
  }

  const ownOf = (role: number, combo: number): number | null => {
    const e = own.get(role * combos + combo);
    return e && e.count > 0 ? e.sum : null;
  };
  // Sum of own numbers over everyone strictly under a role (memoised, cycle-safe).
  const memo = new Map<number, number | null>();
  const below = (role: number, combo: number, path: Set<number>): number | null => {
    const mk = role * combos + combo;
    if (memo.has(mk)) return memo.get(mk) ?? null;
    let total: number | null = null;
    path.add(role);
    for (const child of ctx.children.get(role) ?? []) {
      if (path.has(child)) continue;
      const o = ownOf(child, combo);
      const b = below(child, combo, path);
      if (o !== null) total = (total ?? 0) + o;
      if (b !== null) total = (total ?? 0) + b;
    }
    path.delete(role);
    memo.set(mk, total);
    return total;
  };
  const directOwn = (role: number, combo: number): number | null => {
    let total: number | null = null;
    for (const child of ctx.children.get(role) ?? []) {
      const o = ownOf(child, combo);
      if (o !== null) total = (total ?? 0) + o;
    }
    return total;
  };
  const r4 = (x: number | null) => (x === null ? null : round4(x));
  const userLabel = (role: number): string => {
    const names = [...(usersOfRole.get(role) ?? [])];
    return names.length > 3 ? `${names.slice(0, 3).join(", ")}, ...` : names.join(", ");
  };
  const line = (kind: string, role: number, combo: number): Row => ({
    line: kind,
    role: t.roles.get(role),
    user: userLabel(role),
    field: t.fields.get(Math.floor(combo / nd)),
    dataType: t.dataTypes.get(combo % nd),
    own: r4(ownOf(role, combo)),
    subtreeTotal: r4(below(role, combo, new Set())),
    directReportsTotal: r4(directOwn(role, combo)),
    teamSize: ctx.subtree(role).size - 1,
  });

  const comboList = [...combosSeen].sort((a, b) => a - b);
  const selfRows = comboList.map((combo) => line("self", root, combo));
  const reportRows: Row[] = [];
  for (const child of ctx.children.get(root) ?? []) {
    for (const combo of comboList) reportRows.push(line("direct_report", child, combo));
  }
  const columns = ["line", "role", "user", "field", "dataType", "own", "subtreeTotal", "directReportsTotal", "teamSize"];
  const sortCol = resolveSort(ctx, columns, "own");
  sortRows(reportRows, "role", "asc");
  sortRows(reportRows, sortCol, q.sortOrder);
  if ((ctx.children.get(root)?.size ?? 0) === 0) {
    ctx.warnings.push(`${JSON.stringify(t.roles.get(root))} has no direct reports in this export.`);
  }
  return finish(ctx, [...selfRows, ...reportRows], columns, { matchedRows: matched });
}

/**
 * Runs one forecast query. The query is validated (and defaults applied) with
 * {@link ForecastQuerySchema}; the result is bounded by `limit`.
 */
export function runForecastQuery(table: ForecastTable, query: ForecastQueryInput = {}): ForecastQueryResult {
  const q = ForecastQuerySchema.parse(query);
  switch (q.mode) {
    case "aggregate":
      return runAggregate(new QueryContext(table, q, ["forecast", "quota"], { personFilters: true }));
    case "not_updated": {
      const asked = q.dataType === undefined ? [] : Array.isArray(q.dataType) ? q.dataType : [q.dataType];
      const ctx = new QueryContext(table, { ...q, dataType: ["forecast_updated"] }, ["forecast_updated"], {
        personFilters: true,
      });
      if (asked.some((d) => d !== "forecast_updated")) {
        ctx.warnings.push("not_updated reads the forecast_updated data type only; dataType was ignored.");
      }
      return runNotUpdated(ctx);
    }
    case "week_over_week":
      return runWeekOverWeek(new QueryContext(table, q, ["forecast"], { personFilters: true }));
    case "rollup":
      return runRollup(new QueryContext(table, q, ["forecast", "quota"], { personFilters: false }));
  }
}
