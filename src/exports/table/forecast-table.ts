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
 * `columns` for tight loops. The parts: dictionaries.ts (strings and pairs), person-tuples.ts,
 * row-columns.ts (the typed arrays), forecast-row.ts (a row as plain values).
 */

import { isBooleanDataType } from "../read/values.js";
import { PairDictionary, StringDictionary } from "./dictionaries.js";
import type { ForecastPerson, ForecastRow, ForecastShape, StringColumn } from "./forecast-row.js";
import { PersonTuples, type PersonAttr } from "./person-tuples.js";
import { RowColumns, type RowColumnViews } from "./row-columns.js";

const MAX_WARNINGS = 20;

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
  private readonly people = new PersonTuples(this);
  private readonly periods = new PairDictionary(this.periodLabels, this.periodIds);
  private readonly spans = new PairDictionary(this.dates, this.dates);

  private readonly cells: RowColumns;
  private booleanTypes: Uint8Array = new Uint8Array(8);
  private warningsDropped = 0;

  constructor(initialCapacity = 1024) {
    this.cells = new RowColumns(initialCapacity);
    this.currencies.intern("");
    this.changers.intern("");
  }

  /**
   * A table another thread built, as structured cloning delivered it (its own fields, typed
   * arrays, Maps and shared references kept, the classes lost): the classes put back, nothing
   * copied. Only a table made by this class, cloned whole, may be given.
   */
  static fromClone(clone: ForecastTable): ForecastTable {
    const table = Object.setPrototypeOf(clone, ForecastTable.prototype) as ForecastTable;
    for (const dictionary of table.stringDictionaries) {
      Object.setPrototypeOf(dictionary, StringDictionary.prototype);
    }
    Object.setPrototypeOf(table.people, PersonTuples.prototype);
    Object.setPrototypeOf(table.periods, PairDictionary.prototype);
    Object.setPrototypeOf(table.spans, PairDictionary.prototype);
    Object.setPrototypeOf(table.cells, RowColumns.prototype);
    return table;
  }

  /**
   * Ready to be posted to another thread: the lookup indexes (string -> code) are left out, to be
   * rebuilt only if that thread interns or looks up a string again (dictionaries.ts).
   */
  dropIndexes(): void {
    for (const dictionary of this.stringDictionaries) dictionary.dropIndex();
    this.people.dropIndex();
    this.periods.dropIndex();
    this.spans.dropIndex();
  }

  /** The buffers of the row columns: moved, not copied, when the table is posted to another thread. */
  get transferables(): ArrayBuffer[] {
    const c = this.cells;
    const arrays = [c.person, c.period, c.field, c.span, c.dataType, c.currency, c.week, c.value, c.changedBy, c.changedOn];
    return [...new Set(arrays.flatMap((a) => (a && a.buffer instanceof ArrayBuffer ? [a.buffer] : [])))];
  }

  private get stringDictionaries(): StringDictionary[] {
    return [this.users, this.emails, this.crmUserIds, this.userIds, this.roles, this.periodLabels, this.periodIds, this.fields, this.dates, this.dataTypes, this.currencies, this.changers];
  }

  /** Number of rows. */
  get length(): number {
    return this.cells.length;
  }

  /** Allocated row capacity. */
  get capacity(): number {
    return this.cells.capacity;
  }

  get personCount(): number {
    return this.people.count;
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
    return this.people.intern(p);
  }

  /** Replaces the attributes of an existing person (used to resolve userIds into names). */
  setPerson(code: number, p: ForecastPerson): void {
    this.people.set(code, p);
  }

  person(code: number): ForecastPerson {
    return this.people.get(code);
  }

  /** Per-person attribute codes (length >= personCount), for tight loops. */
  personColumn(attr: PersonAttr): Uint32Array {
    return this.people.column(attr);
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
  append(person: number, period: number, field: number, span: number, dataType: number, currency: number, week: number, value: number): void {
    this.cells.append(person, period, field, span, dataType, currency, week, value);
  }

  /** Records who updated or adjusted row i (a userId, "" unknown) and when (epoch ms, NaN unknown). */
  setChange(i: number, by: string, onMs: number): void {
    if (by === "" && Number.isNaN(onMs)) return;
    this.cells.setChange(i, this.changers.intern(by), onMs);
  }

  /** True once any row records who changed it. */
  get hasChanges(): boolean {
    return this.cells.changedBy !== undefined;
  }

  /** Who changed row i (a userId) or "". */
  changedBy(i: number): string {
    const by = this.cells.changedBy;
    return by ? this.changers.get(by[i] ?? 0) : "";
  }

  /** When row i was changed (epoch ms) or NaN. */
  changedOn(i: number): number {
    return this.cells.changedOn?.[i] ?? Number.NaN;
  }

  /** Views of the change columns (length = rows), or undefined when no row has one. */
  get changeColumns(): { by: Uint32Array; on: Float64Array } | undefined {
    return this.cells.changeViews();
  }

  /** Releases unused capacity when more than a quarter is spare (one column re-allocated at a time). */
  compact(): void {
    this.cells.compact();
  }

  /** Views of the row columns (length = rows). Writable: normalisers fix codes up in place. */
  get columns(): RowColumnViews {
    return this.cells.views();
  }

  /** The value of row i as the row model gives it: number, boolean, or null. */
  valueAt(i: number): number | boolean | null {
    const v = this.cells.value[i] ?? Number.NaN;
    if (Number.isNaN(v)) return null;
    if (this.booleanTypes[this.cells.dataType[i] ?? 0] === 1) return v !== 0;
    return v;
  }

  /** The string of one cell. */
  get(column: StringColumn, i: number): string {
    const c = this.cells;
    switch (column) {
      case "user":
      case "email":
      case "crmUserId":
      case "userId":
      case "role":
      case "parentRole":
        return this.person(c.person[i] ?? 0)[column];
      case "timePeriod":
        return this.periodLabel(c.period[i] ?? 0);
      case "timePeriodId":
        return this.periodId(c.period[i] ?? 0);
      case "field":
        return this.fields.get(c.field[i] ?? 0);
      case "weekStart":
        return this.spanStart(c.span[i] ?? 0);
      case "weekEnd":
        return this.spanEnd(c.span[i] ?? 0);
      case "dataType":
        return this.dataTypes.get(c.dataType[i] ?? 0);
      case "currency":
        return this.currencies.get(c.currency[i] ?? 0);
    }
  }

  /** Row i as a plain object. */
  row(i: number): ForecastRow {
    const c = this.cells;
    if (i < 0 || i >= c.length) throw new RangeError(`row ${i} out of range (0..${c.length - 1})`);
    const p = this.person(c.person[i] ?? 0);
    const period = c.period[i] ?? 0;
    const span = c.span[i] ?? 0;
    return {
      ...p,
      timePeriod: this.periodLabel(period),
      timePeriodId: this.periodId(period),
      field: this.fields.get(c.field[i] ?? 0),
      week: c.week[i] ?? -1,
      weekStart: this.spanStart(span),
      weekEnd: this.spanEnd(span),
      dataType: this.dataTypes.get(c.dataType[i] ?? 0),
      value: this.valueAt(i),
      currency: this.currencies.get(c.currency[i] ?? 0),
    };
  }

  /** Iterates rows [start, end) as plain objects. */
  *rows(start = 0, end = this.cells.length): IterableIterator<ForecastRow> {
    const stop = Math.min(end, this.cells.length);
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
