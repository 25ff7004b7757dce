/**
 * The rows of a forecast table, stored by column: one typed array per attribute code (8 numbers,
 * 36 bytes a row), grown by half as rows arrive and trimmed once reading ends. Who changed a row
 * and when are two more columns, allocated only on the first row that has them.
 */

/** Views of the row columns (length = rows). */
export interface RowColumnViews {
  person: Uint32Array;
  period: Uint32Array;
  field: Uint32Array;
  span: Uint32Array;
  dataType: Uint32Array;
  currency: Uint32Array;
  week: Int32Array;
  value: Float64Array;
}

export class RowColumns {
  person: Uint32Array;
  period: Uint32Array;
  field: Uint32Array;
  span: Uint32Array;
  dataType: Uint32Array;
  currency: Uint32Array;
  week: Int32Array;
  value: Float64Array;
  // Allocated on the first row that records who changed it and when (most shapes never do).
  changedBy: Uint32Array | undefined;
  changedOn: Float64Array | undefined;
  length = 0;

  constructor(initialCapacity: number) {
    const cap = Math.max(16, initialCapacity | 0);
    this.person = new Uint32Array(cap);
    this.period = new Uint32Array(cap);
    this.field = new Uint32Array(cap);
    this.span = new Uint32Array(cap);
    this.dataType = new Uint32Array(cap);
    this.currency = new Uint32Array(cap);
    this.week = new Int32Array(cap);
    this.value = new Float64Array(cap);
  }

  /** Allocated row capacity. */
  get capacity(): number {
    return this.value.length;
  }

  /** Appends one row of codes. `value` is NaN for null, 1/0 for booleans. */
  append(person: number, period: number, field: number, span: number, dataType: number, currency: number, week: number, value: number): void {
    const i = this.length;
    if (i === this.value.length) this.grow(i + 1);
    this.person[i] = person;
    this.period[i] = period;
    this.field[i] = field;
    this.span[i] = span;
    this.dataType[i] = dataType;
    this.currency[i] = currency;
    this.week[i] = week;
    this.value[i] = value;
    this.length = i + 1;
  }

  /** Records who changed row i (a code in the table's changers) and when (epoch ms, NaN unknown). */
  setChange(i: number, by: number, onMs: number): void {
    if (!this.changedBy || !this.changedOn) {
      this.changedBy = new Uint32Array(this.value.length);
      this.changedOn = new Float64Array(this.value.length).fill(Number.NaN);
    }
    this.changedBy[i] = by;
    this.changedOn[i] = onMs;
  }

  private grow(need: number): void {
    const cap = Math.max(need, Math.ceil(this.value.length * 1.5));
    const g32 = (a: Uint32Array): Uint32Array => {
      const n = new Uint32Array(cap);
      n.set(a.subarray(0, this.length));
      return n;
    };
    this.person = g32(this.person);
    this.period = g32(this.period);
    this.field = g32(this.field);
    this.span = g32(this.span);
    this.dataType = g32(this.dataType);
    this.currency = g32(this.currency);
    const w = new Int32Array(cap);
    w.set(this.week.subarray(0, this.length));
    this.week = w;
    const v = new Float64Array(cap);
    v.set(this.value.subarray(0, this.length));
    this.value = v;
    if (this.changedBy && this.changedOn) {
      this.changedBy = g32(this.changedBy);
      const on = new Float64Array(cap).fill(Number.NaN);
      on.set(this.changedOn.subarray(0, this.length));
      this.changedOn = on;
    }
  }

  /**
   * Releases unused capacity when more than a quarter is spare. Columns are re-allocated
   * one at a time, so the transient extra memory is one column.
   */
  compact(): void {
    const n = this.length;
    if (this.value.length - n <= n / 4) return;
    this.person = this.person.slice(0, n);
    this.period = this.period.slice(0, n);
    this.field = this.field.slice(0, n);
    this.span = this.span.slice(0, n);
    this.dataType = this.dataType.slice(0, n);
    this.currency = this.currency.slice(0, n);
    this.week = this.week.slice(0, n);
    this.value = this.value.slice(0, n);
    if (this.changedBy) this.changedBy = this.changedBy.slice(0, n);
    if (this.changedOn) this.changedOn = this.changedOn.slice(0, n);
  }

  /** Writable views (normalisers fix codes up in place). */
  views(): RowColumnViews {
    const n = this.length;
    return {
      person: this.person.subarray(0, n),
      period: this.period.subarray(0, n),
      field: this.field.subarray(0, n),
      span: this.span.subarray(0, n),
      dataType: this.dataType.subarray(0, n),
      currency: this.currency.subarray(0, n),
      week: this.week.subarray(0, n),
      value: this.value.subarray(0, n),
    };
  }

  /** Views of the change columns, or undefined when no row has one. */
  changeViews(): { by: Uint32Array; on: Float64Array } | undefined {
    if (!this.changedBy || !this.changedOn) return undefined;
    return { by: this.changedBy.subarray(0, this.length), on: this.changedOn.subarray(0, this.length) };
  }
}
