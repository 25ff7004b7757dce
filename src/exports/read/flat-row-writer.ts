/** Writes the records of the flat shapes (JSON array and CSV) into a {@link ForecastTable}, by column meaning. */

import type { ForecastTable } from "../table/forecast-table.js";
import type { Cell, ColumnIndex, ColumnKey } from "./flat-columns.js";
import { canonicalDataType, parseClariValue, parseTimePeriodLabel, toIsoDate } from "./values.js";

function cellString(c: Cell | undefined): string {
  if (c === undefined || c === null) return "";
  return typeof c === "string" ? c.trim() : String(c);
}

/**
 * Writes 12-column records into a {@link ForecastTable}, caching the conversions of repeated
 * cells (people, periods, weeks, data types) so a row costs a handful of lookups.
 */
export class FlatRowWriter {
  private lastPersonKey: string[] = [];
  private lastPerson = -1;
  private readonly periodCache = new Map<string, number>();
  private readonly spanCache = new Map<string, number>();
  private readonly dataTypeCache = new Map<string, number>();
  private readonly currencyCache = new Map<string, number>();
  private unknownTypes = new Set<string>();
  private invalidValues = 0;
  private missingValues = 0;
  rows = 0;

  constructor(
    private readonly table: ForecastTable,
    readonly index: ColumnIndex,
  ) {}

  private cell(buf: readonly Cell[], base: number, key: ColumnKey): string {
    const k = this.index[key];
    return k < 0 ? "" : cellString(buf[base + k]);
  }

  /** Writes the record at buf[base..]. `valueMissing`: the record has no Data Value cell. */
  write(buf: readonly Cell[], base: number, valueMissing = false): void {
    const t = this.table;
    // Person (consecutive rows usually share one).
    const user = this.cell(buf, base, "user");
    const email = this.cell(buf, base, "email");
    const crmUserId = this.cell(buf, base, "crmUserId");
    const userId = this.cell(buf, base, "userId");
    const role = this.cell(buf, base, "role");
    const parentRole = this.cell(buf, base, "parentRole");
    const lk = this.lastPersonKey;
    let person = this.lastPerson;
    if (
      person < 0 ||
      lk[0] !== user ||
      lk[1] !== email ||
      lk[2] !== crmUserId ||
      lk[3] !== userId ||
      lk[4] !== role ||
      lk[5] !== parentRole
    ) {
      person = t.internPerson({ user, email, crmUserId, userId, role, parentRole });
      this.lastPerson = person;
      this.lastPersonKey = [user, email, crmUserId, userId, role, parentRole];
    }

    const label = this.cell(buf, base, "timePeriod");
    let period = this.periodCache.get(label);
    if (period === undefined) {
      period = t.internPeriod(label, parseTimePeriodLabel(label) ?? "");
      this.periodCache.set(label, period);
    }

    const field = t.fields.intern(this.cell(buf, base, "field"));

    const startRaw = this.cell(buf, base, "weekStart");
    const endRaw = this.cell(buf, base, "weekEnd");
    const spanKey = `${startRaw}\u0000${endRaw}`;
    let span = this.spanCache.get(spanKey);
    if (span === undefined) {
      span = t.internSpan(toIsoDate(startRaw), toIsoDate(endRaw));
      this.spanCache.set(spanKey, span);
    }

    const weekRaw = this.cell(buf, base, "week");
    let week = weekRaw === "" ? -1 : Number.parseInt(weekRaw, 10);
    if (Number.isNaN(week)) {
      // "Week 3", "W3"
      const m = /-?\d+/.exec(weekRaw);
      week = m ? Number.parseInt(m[0], 10) : -1;
    }

    const dtRaw = this.cell(buf, base, "dataType");
    let dataType = this.dataTypeCache.get(dtRaw);
    if (dataType === undefined) {
      const c = canonicalDataType(dtRaw);
      if (!c.known) this.unknownTypes.add(dtRaw);
      dataType = t.internDataType(c.dataType);
      this.dataTypeCache.set(dtRaw, dataType);
    }

    let value = Number.NaN;
    let currencyText = "";
    if (valueMissing) {
      this.missingValues++;
    } else {
      const raw = this.index.value < 0 ? null : (buf[base + this.index.value] ?? null);
      const parsed = parseClariValue(raw);
      if (parsed.invalid) this.invalidValues++;
      const v = parsed.value;
      if (typeof v === "boolean") value = v ? 1 : 0;
      else if (typeof v === "number") value = v;
      if (t.isBoolean(dataType)) {
        if (!Number.isNaN(value)) value = value !== 0 ? 1 : 0;
      } else {
        currencyText = parsed.currency ?? "";
      }
    }
    const currencyCol = this.cell(buf, base, "currency");
    if (currencyCol !== "" && !t.isBoolean(dataType)) currencyText = currencyCol;
    let currency = 0;
    if (currencyText !== "") {
      let c = this.currencyCache.get(currencyText);
      if (c === undefined) {
        c = t.currencies.intern(currencyText);
        this.currencyCache.set(currencyText, c);
      }
      currency = c;
    }

    t.append(person, period, field, span, dataType, currency, week, value);
    this.rows++;
  }

  /** Adds the warnings gathered while writing to the table. */
  finish(): void {
    if (this.unknownTypes.size > 0) {
      this.table.warn(
        `Unrecognised Data Type values kept as-is: ${[...this.unknownTypes].slice(0, 5).join(", ")}`,
      );
    }
    if (this.invalidValues > 0) {
      this.table.warn(`${this.invalidValues} Data Value cell(s) could not be read as a number or Yes/No and were read as empty.`);
    }
    if (this.missingValues > 0) {
      this.table.warn(`${this.missingValues} row(s) had no Data Value cell and were read as empty.`);
    }
  }
}
