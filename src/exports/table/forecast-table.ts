/**
 * The columnar row model for forecast exports.
 *
 * A forecast export can hold a million rows or more, so rows are never kept as JS objects.
 * Every string is dictionary-encoded, and the attributes that always travel together are
 * encoded as one tuple so a row carries 8 numbers (36 bytes) instead of 15 strings:
 *
 * - person  (Uint32Array): tuple (user, email, crmUserId, userId, role, parentRole)
 * - period  (Uint32Array): tuple (timePeriod label, timePeriodId "YYYY_QN" or "")
 * - field   (Uint32Array): field name
 * - span    (Uint32Array): tuple (weekStart, weekEnd), ISO dates
 * - dataType(Uint32Array): canonical data type ("forecast", "quota", "forecast_updated", ...)
 * - currency(Uint32Array): currency symbol or code as exported ("$", "€", "USD") or ""
 * - week    (Int32Array):  1-based week index inside the time period (as exported), -1 unknown
 * - value   (Float64Array): the number; booleans as 1/0 (see isBooleanDataType); null as NaN
 * - changedBy/changedOn (only once a row has one; JSON tables shape only): who made the update
 *   or adjustment the row records (a userId, dictionary-encoded, "" none) and when (epoch ms, NaN)
 *
 * Role and parentRole share one dictionary ("roles"), so their codes compare directly.
 * Use `row(i)` for small outputs, `get(column, i)` / `code(column, i)` for single cells, and
 * `columns` for tight loops.
 */

import { isBooleanDataType } from "../read/values.js";

/** The person attributes of a row. */
export interface ForecastPerson {
  user: string;
  email: string;
  crmUserId: string;
  /** Clari userId (JSON tables shape only; "" for the flat array and CSV shapes). */
  userId: string;
  role: string;
  parentRole: string;
}

/** One normalised forecast row as a plain object (build these only for small outputs). */
export interface ForecastRow extends ForecastPerson {
  /** The time period label as exported ("Q4 2026", "July FY 2023"). */
  timePeriod: string;
  /** "YYYY_QN" when derivable from the label or the tables' timePeriodId, else "". */
  timePeriodId: string;
  field: string;
  week: number;
  /** ISO YYYY-MM-DD. */
  weekStart: string;
  weekEnd: string;
  dataType: string;
  value: number | boolean | null;
  currency: string;
}

/** The string-valued columns of {@link ForecastRow}. */
export const STRING_COLUMNS = [
  "user",
  "email",
  "crmUserId",
  "userId",
  "role",
  "parentRole",
  "timePeriod",
  "timePeriodId",
  "field",
  "weekStart",
  "weekEnd",
  "dataType",
  "currency",
] as const;
export type StringColumn = (typeof STRING_COLUMNS)[number];

/** Which export shape a table was read from. */
export type ForecastShape = "tables" | "flat_array" | "csv" | "empty";

/** An append-only string dictionary: string <-> dense integer code. */
export class StringDictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  intern(s: string): number {
    let code = this.index.get(s);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(s);
      this.index.set(s, code);
    }
    return code;
  }

  lookup(s: string): number | undefined {
    return this.index.get(s);
  }

  get(code: number): string {
    return this.values[code] ?? "";
  }

  get size(): number {
    return this.values.length;
  }
}

const PERSON_ATTRS = ["user", "email", "crmUserId", "userId", "role", "parentRole"] as const;
type PersonAttr = (typeof PERSON_ATTRS)[number];

/** Growable Uint32 list for tuple attribute codes. */
function growU32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const next = new Uint32Array(Math.max(need, Math.ceil(a.length * 1.5) + 16));
  next.set(a);
  return next;
}

const MAX_WARNINGS = 20;

/** Interns (first, second) string pairs that always travel together: one code per distinct pair. */
class PairDictionary {
  private firstCodes = new Uint32Array(16);
  private secondCodes = new Uint32Array(16);
  private count_ = 0;
  private readonly index = new Map<string, number>();

  constructor(
    private readonly firsts: StringDictionary,
    private readonly seconds: StringDictionary,
  ) {}

  get count(): number {
    return this.count_;
  }

  intern(first: string, second: string): number {
    const key = `${first}\u0000${second}`;
    let code = this.index.get(key);
    if (code !== undefined) return code;
    code = this.count_++;
    this.index.set(key, code);
    this.firstCodes = growU32(this.firstCodes, code + 1);
    this.secondCodes = growU32(this.secondCodes, code + 1);
    this.set(code, first, second);
    return code;
  }

  /** Rewrites a pair in place (readers resolve names after the rows are in). */
  set(code: number, first: string, second: string): void {
    this.firstCodes[code] = this.firsts.intern(first);
    this.secondCodes[code] = this.seconds.intern(second);
  }

  first(code: number): string {
    return this.firsts.get(this.firstCodes[code] ?? 0);
  }

  second(code: number): string {
    return this.seconds.get(this.secondCodes[code] ?? 0);
  }
}

export class ForecastTable {
  /** How the source was shaped. */
  shape: ForecastShape = "empty";
  /** Non-fatal problems met while reading (bounded). */
  readonly warnings: string[] = [];

  // Attribute dictionaries.
  readonly users = new StringDictionary();
  readonly emails = new StringDictionary();
  readonly crmUserIds = new StringDictionary();
  readonly userIds = new StringDictionary();
  /** Shared by role and parentRole. */
  readonly roles = new StringDictionary();
  readonly periodLabels = new StringDictionary();
  readonly periodIds = new StringDictionary();
  readonly fields = new StringDictionary();
  readonly dates = new StringDictionary();
  readonly dataTypes = new StringDictionary();
  readonly currencies = new StringDictionary();
  /** Who updated or adjusted (userIds); code 0 is "". */
  readonly changers = new StringDictionary();

  // Tuple dictionaries: person -> attribute codes, period -> (label, id), span -> (start, end).
  private personAttrs: Record<PersonAttr, Uint32Array<ArrayBuffer>>;
  private personCount_ = 0;
  private readonly personIndex = new Map<string, number>();
  private readonly periods = new PairDictionary(this.periodLabels, this.periodIds);
  private readonly spans = new PairDictionary(this.dates, this.dates);

  // Row columns.
  private person_: Uint32Array;
  private period_: Uint32Array;
  private field_: Uint32Array;
  private span_: Uint32Array;
  private dataType_: Uint32Array;
  private currency_: Uint32Array;
  private week_: Int32Array;
  private value_: Float64Array;
  // Allocated on the first row that records who changed it and when (most shapes never do).
  private changedBy_: Uint32Array | undefined;
  private changedOn_: Float64Array | undefined;
  private length_ = 0;
  private booleanTypes: Uint8Array = new Uint8Array(8);
  private warningsDropped = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity | 0);
    this.person_ = new Uint32Array(cap);
    this.period_ = new Uint32Array(cap);
    this.field_ = new Uint32Array(cap);
    this.span_ = new Uint32Array(cap);
    this.dataType_ = new Uint32Array(cap);
    this.currency_ = new Uint32Array(cap);
    this.week_ = new Int32Array(cap);
    this.value_ = new Float64Array(cap);
    this.personAttrs = {
      user: new Uint32Array(64),
      email: new Uint32Array(64),
      crmUserId: new Uint32Array(64),
      userId: new Uint32Array(64),
      role: new Uint32Array(64),
      parentRole: new Uint32Array(64),
    };
    this.currencies.intern("");
    this.changers.intern("");
  }

  /** Number of rows. */
  get length(): number {
    return this.length_;
  }

  /** Allocated row capacity. */
  get capacity(): number {
    return this.value_.length;
  }

  get personCount(): number {
    return this.personCount_;
  }

  get periodCount(): number {
    return this.periods.count;
  }

  get spanCount(): number {
    return this.spans.count;
  }

  /** Records a non-fatal problem (the list is bounded). */
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else this.warningsDropped++;
  }

  // ---------------------------------------------------------------- tuples

  /** Interns a person tuple and returns its code. */
  internPerson(p: ForecastPerson): number {
    const key = `${p.user}\u0000${p.email}\u0000${p.crmUserId}\u0000${p.userId}\u0000${p.role}\u0000${p.parentRole}`;
    let code = this.personIndex.get(key);
    if (code !== undefined) return code;
    code = this.personCount_++;
    this.personIndex.set(key, code);
    this.ensurePersonCapacity(code + 1);
    this.setPerson(code, p);
    return code;
  }

  /** Replaces the attributes of an existing person (used to resolve userIds into names). */
  setPerson(code: number, p: ForecastPerson): void {
    const a = this.personAttrs;
    a.user[code] = this.users.intern(p.user);
    a.email[code] = this.emails.intern(p.email);
    a.crmUserId[code] = this.crmUserIds.intern(p.crmUserId);
    a.userId[code] = this.userIds.intern(p.userId);
    a.role[code] = this.roles.intern(p.role);
    a.parentRole[code] = this.roles.intern(p.parentRole);
  }

  private ensurePersonCapacity(n: number): void {
    const a = this.personAttrs;
    if (n <= a.user.length) return;
    for (const k of PERSON_ATTRS) a[k] = growU32(a[k], n);
  }

  person(code: number): ForecastPerson {
    const a = this.personAttrs;
    return {
      user: this.users.get(a.user[code] ?? 0),
      email: this.emails.get(a.email[code] ?? 0),
      crmUserId: this.crmUserIds.get(a.crmUserId[code] ?? 0),
      userId: this.userIds.get(a.userId[code] ?? 0),
      role: this.roles.get(a.role[code] ?? 0),
      parentRole: this.roles.get(a.parentRole[code] ?? 0),
    };
  }

  /** Per-person attribute codes (length >= personCount), for tight loops. */
  personColumn(attr: PersonAttr): Uint32Array {
    return this.personAttrs[attr].subarray(0, this.personCount_);
  }

  internPeriod(label: string, id: string): number {
    return this.periods.intern(label, id);
  }

  setPeriod(code: number, label: string, id: string): void {
    this.periods.set(code, label, id);
  }

  periodLabel(code: number): string {
    return this.periods.first(code);
  }

  periodId(code: number): string {
    return this.periods.second(code);
  }

  internSpan(start: string, end: string): number {
    return this.spans.intern(start, end);
  }

  spanStart(code: number): string {
    return this.spans.first(code);
  }

  spanEnd(code: number): string {
    return this.spans.second(code);
  }

  internDataType(dataType: string): number {
    const code = this.dataTypes.intern(dataType);
    if (code >= this.booleanTypes.length) {
      const next = new Uint8Array(code * 2 + 8);
      next.set(this.booleanTypes);
      this.booleanTypes = next;
    }
    this.booleanTypes[code] = isBooleanDataType(dataType) ? 1 : 0;
    return code;
  }

  /** True when the data type code holds booleans (values 1/0). */
  isBoolean(dataTypeCode: number): boolean {
    return this.booleanTypes[dataTypeCode] === 1;
  }

  // ---------------------------------------------------------------- rows

  /** Appends one row of codes. `value` is NaN for null, 1/0 for booleans. */
  append(
    person: number,
    period: number,
    field: number,
    span: number,
    dataType: number,
    currency: number,
    week: number,
    value: number,
  ): void {
    const i = this.length_;
    if (i === this.value_.length) this.grow(i + 1);
    this.person_[i] = person;
    this.period_[i] = period;
    this.field_[i] = field;
    this.span_[i] = span;
    this.dataType_[i] = dataType;
    this.currency_[i] = currency;
    this.week_[i] = week;
    this.value_[i] = value;
    this.length_ = i + 1;
  }

  /** Records who updated or adjusted row i (a userId, "" unknown) and when (epoch ms, NaN unknown). */
  setChange(i: number, by: string, onMs: number): void {
    if (by === "" && Number.isNaN(onMs)) return;
    if (!this.changedBy_ || !this.changedOn_) {
      this.changedBy_ = new Uint32Array(this.value_.length);
      this.changedOn_ = new Float64Array(this.value_.length).fill(Number.NaN);
    }
    this.changedBy_[i] = this.changers.intern(by);
    this.changedOn_[i] = onMs;
  }

  /** True once any row records who changed it. */
  get hasChanges(): boolean {
    return this.changedBy_ !== undefined;
  }

  /** Who changed row i (a userId) or "". */
  changedBy(i: number): string {
    return this.changedBy_ ? this.changers.get(this.changedBy_[i] ?? 0) : "";
  }

  /** When row i was changed (epoch ms) or NaN. */
  changedOn(i: number): number {
    return this.changedOn_?.[i] ?? Number.NaN;
  }

  /** Views of the change columns (length = rows), or undefined when no row has one. */
  get changeColumns(): { by: Uint32Array; on: Float64Array } | undefined {
    if (!this.changedBy_ || !this.changedOn_) return undefined;
    return { by: this.changedBy_.subarray(0, this.length_), on: this.changedOn_.subarray(0, this.length_) };
  }

  private grow(need: number): void {
    const cap = Math.max(need, Math.ceil(this.value_.length * 1.5));
    const g32 = (a: Uint32Array): Uint32Array => {
      const n = new Uint32Array(cap);
      n.set(a.subarray(0, this.length_));
      return n;
    };
    this.person_ = g32(this.person_);
    this.period_ = g32(this.period_);
    this.field_ = g32(this.field_);
    this.span_ = g32(this.span_);
    this.dataType_ = g32(this.dataType_);
    this.currency_ = g32(this.currency_);
    const w = new Int32Array(cap);
    w.set(this.week_.subarray(0, this.length_));
    this.week_ = w;
    const v = new Float64Array(cap);
    v.set(this.value_.subarray(0, this.length_));
    this.value_ = v;
    if (this.changedBy_ && this.changedOn_) {
      this.changedBy_ = g32(this.changedBy_);
      const on = new Float64Array(cap).fill(Number.NaN);
      on.set(this.changedOn_.subarray(0, this.length_));
      this.changedOn_ = on;
    }
  }

  /**
   * Releases unused capacity when more than a quarter is spare. Columns are re-allocated
   * one at a time, so the transient extra memory is one column.
   */
  compact(): void {
    const n = this.length_;
    if (this.value_.length - n <= n / 4) return;
    this.person_ = this.person_.slice(0, n);
    this.period_ = this.period_.slice(0, n);
    this.field_ = this.field_.slice(0, n);
    this.span_ = this.span_.slice(0, n);
    this.dataType_ = this.dataType_.slice(0, n);
    this.currency_ = this.currency_.slice(0, n);
    this.week_ = this.week_.slice(0, n);
    this.value_ = this.value_.slice(0, n);
    if (this.changedBy_) this.changedBy_ = this.changedBy_.slice(0, n);
    if (this.changedOn_) this.changedOn_ = this.changedOn_.slice(0, n);
  }

  /** Views of the row columns (length = rows). Writable: normalisers fix codes up in place. */
  get columns(): {
    person: Uint32Array;
    period: Uint32Array;
    field: Uint32Array;
    span: Uint32Array;
    dataType: Uint32Array;
    currency: Uint32Array;
    week: Int32Array;
    value: Float64Array;
  } {
    const n = this.length_;
    return {
      person: this.person_.subarray(0, n),
      period: this.period_.subarray(0, n),
      field: this.field_.subarray(0, n),
      span: this.span_.subarray(0, n),
      dataType: this.dataType_.subarray(0, n),
      currency: this.currency_.subarray(0, n),
      week: this.week_.subarray(0, n),
      value: this.value_.subarray(0, n),
    };
  }

  /** The value of row i as the row model gives it: number, boolean, or null. */
  valueAt(i: number): number | boolean | null {
    const v = this.value_[i] ?? Number.NaN;
    if (Number.isNaN(v)) return null;
    if (this.booleanTypes[this.dataType_[i] ?? 0] === 1) return v !== 0;
    return v;
  }

  /** The string of one cell. */
  get(column: StringColumn, i: number): string {
    switch (column) {
      case "user":
      case "email":
      case "crmUserId":
      case "userId":
      case "role":
      case "parentRole":
        return this.person(this.person_[i] ?? 0)[column];
      case "timePeriod":
        return this.periodLabel(this.period_[i] ?? 0);
      case "timePeriodId":
        return this.periodId(this.period_[i] ?? 0);
      case "field":
        return this.fields.get(this.field_[i] ?? 0);
      case "weekStart":
        return this.spanStart(this.span_[i] ?? 0);
      case "weekEnd":
        return this.spanEnd(this.span_[i] ?? 0);
      case "dataType":
        return this.dataTypes.get(this.dataType_[i] ?? 0);
      case "currency":
        return this.currencies.get(this.currency_[i] ?? 0);
    }
  }

  /** Row i as a plain object. */
  row(i: number): ForecastRow {
    if (i < 0 || i >= this.length_) throw new RangeError(`row ${i} out of range (0..${this.length_ - 1})`);
    const p = this.person(this.person_[i] ?? 0);
    const period = this.period_[i] ?? 0;
    const span = this.span_[i] ?? 0;
    return {
      ...p,
      timePeriod: this.periodLabel(period),
      timePeriodId: this.periodId(period),
      field: this.fields.get(this.field_[i] ?? 0),
      week: this.week_[i] ?? -1,
      weekStart: this.spanStart(span),
      weekEnd: this.spanEnd(span),
      dataType: this.dataTypes.get(this.dataType_[i] ?? 0),
      value: this.valueAt(i),
      currency: this.currencies.get(this.currency_[i] ?? 0),
    };
  }

  /** Iterates rows [start, end) as plain objects. */
  *rows(start = 0, end = this.length_): IterableIterator<ForecastRow> {
    const stop = Math.min(end, this.length_);
    for (let i = Math.max(0, start); i < stop; i++) yield this.row(i);
  }

  /** Rows [start, start + count) as plain objects (for previews and pages). */
  slice(start: number, count: number): ForecastRow[] {
    const out: ForecastRow[] = [];
    for (const r of this.rows(start, start + count)) out.push(r);
    return out;
  }

  [Symbol.iterator](): IterableIterator<ForecastRow> {
    return this.rows();
  }
}
