/**
 * Readers for the two "12-column" forecast shapes: the spec's flat JSON array of strings
 * (header then 12 values per row, also tolerated as an array of row arrays or row objects)
 * and CSV. Both feed {@link FlatRowWriter}, which maps columns by header name.
 */

import { Tokenizer, TokenType } from "@streamparser/json";
import type { ForecastTable } from "../table/forecast-table.js";
import { canonicalDataType, parseClariValue, parseTimePeriodLabel, toIsoDate } from "./values.js";

/** The spec's 12 column names, in the spec's order. */
export const FORECAST_COLUMNS = [
  "User",
  "Email",
  "CRM User ID",
  "Role",
  "Parent Role",
  "Timeframe",
  "Field",
  "Week",
  "Start Day",
  "End Day",
  "Data Type",
  "Data Value",
] as const;

type ColumnKey =
  | "user"
  | "email"
  | "crmUserId"
  | "userId"
  | "role"
  | "parentRole"
  | "timePeriod"
  | "field"
  | "week"
  | "weekStart"
  | "weekEnd"
  | "dataType"
  | "value"
  | "currency";

const COLUMN_KEYS: readonly ColumnKey[] = [
  "user",
  "email",
  "crmUserId",
  "userId",
  "role",
  "parentRole",
  "timePeriod",
  "field",
  "week",
  "weekStart",
  "weekEnd",
  "dataType",
  "value",
  "currency",
];

const HEADER_ALIASES: Record<string, ColumnKey> = {
  user: "user",
  username: "user",
  name: "user",
  email: "email",
  emailaddress: "email",
  useremail: "email",
  crmuserid: "crmUserId",
  crmid: "crmUserId",
  crmuser: "crmUserId",
  userid: "userId",
  clariuserid: "userId",
  role: "role",
  hierarchy: "role",
  hierarchyname: "role",
  parentrole: "parentRole",
  parenthierarchy: "parentRole",
  parenthierarchyname: "parentRole",
  timeframe: "timePeriod",
  timeperiod: "timePeriod",
  period: "timePeriod",
  field: "field",
  fieldname: "field",
  week: "week",
  weeknumber: "week",
  startday: "weekStart",
  startdate: "weekStart",
  weekstart: "weekStart",
  endday: "weekEnd",
  enddate: "weekEnd",
  weekend: "weekEnd",
  datatype: "dataType",
  type: "dataType",
  datavalue: "value",
  value: "value",
  currency: "currency",
};

function headerKey(name: unknown): ColumnKey | undefined {
  if (typeof name !== "string") return undefined;
  return HEADER_ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, "")];
}

export type Cell = string | number | boolean | null;

/** Column positions by meaning; -1 when the column is absent. */
export type ColumnIndex = Record<ColumnKey, number>;

const DEFAULT_INDEX: ColumnIndex = {
  user: 0,
  email: 1,
  crmUserId: 2,
  userId: -1,
  role: 3,
  parentRole: 4,
  timePeriod: 5,
  field: 6,
  week: 7,
  weekStart: 8,
  weekEnd: 9,
  dataType: 10,
  value: 11,
  currency: -1,
};

/** Maps header cells to column positions. Returns undefined when the cells are not a header. */
export function mapHeader(cells: readonly Cell[]): ColumnIndex | undefined {
  const index = Object.fromEntries(COLUMN_KEYS.map((k) => [k, -1])) as ColumnIndex;
  let recognised = 0;
  cells.forEach((c, i) => {
    const key = headerKey(c);
    if (key && index[key] === -1) {
      index[key] = i;
      recognised++;
    }
  });
  if (recognised < 3 || index.dataType < 0 || index.value < 0) return undefined;
  return index;
}

function cellString(c: Cell | undefined): string {
  if (c === undefined || c === null) return "";
  return typeof c === "string" ? c.trim() : String(c);
}

const dataTypeCache = new Map<string, boolean>();
/** True when the cell is a recognised Data Type label ("Forecast Value", "Quota", ...). */
export function isDataTypeCell(c: Cell | undefined): boolean {
  if (typeof c !== "string") return false;
  let known = dataTypeCache.get(c);
  if (known === undefined) {
    known = canonicalDataType(c).known;
    if (dataTypeCache.size < 1000) dataTypeCache.set(c, known);
  }
  return known;
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

/**
 * Streams the flat-array shape through the JSON tokenizer. Accepts a flat array of strings
 * (the spec's example), an array of row arrays, or an array of row objects keyed by column name.
 */
export class FlatArrayReader {
  private readonly tokenizer = new Tokenizer({ stringBufferSize: 256 });
  private depth = 0;
  private inner: "none" | "array" | "object" = "none";
  private record: Cell[] = [];
  private objectRecord: Partial<Record<ColumnKey, Cell>> = {};
  private objectKey: string | undefined;
  private objectKeyNext = false;
  private nestedSkipped = false;

  // Flat mode.
  private buf: Cell[] = [];
  private pos = 0;
  private headerDone = false;
  private width: number = FORECAST_COLUMNS.length;
  private writer: FlatRowWriter | undefined;
  private skippedTokens = 0;
  private sawTop = false;
  private ended = false;

  constructor(private readonly table: ForecastTable) {
    table.shape = "flat_array";
    this.tokenizer.onToken = ({ token, value }) => this.onToken(token, value);
  }

  write(chunk: Uint8Array | string): void {
    this.tokenizer.write(chunk);
  }

  /** Ends the stream; a truncated tail is dropped with a warning. */
  end(): void {
    let truncated = false;
    if (!this.ended && !this.tokenizer.isEnded) {
      try {
        this.tokenizer.end();
      } catch {
        truncated = true;
      }
    }
    if (!this.sawTop || this.depth > 0) truncated = true;
    if (!this.headerDone) this.finishHeader();
    this.drain(true);
    if (truncated) this.table.warn("The export file ended early (truncated?): the last, incomplete row was ignored.");
    if (this.skippedTokens > 0) {
      this.table.warn(`Skipped ${this.skippedTokens} value(s) in the flat array that did not line up with a 12-column row.`);
    }
    if (this.nestedSkipped) this.table.warn("Ignored nested values deeper than a row.");
    this.writer?.finish();
  }

  private onToken(token: TokenType, value: unknown): void {
    switch (token) {
      case TokenType.LEFT_BRACKET:
      case TokenType.LEFT_BRACE: {
        this.depth++;
        if (this.depth === 1) {
          this.sawTop = true;
          if (token === TokenType.LEFT_BRACE) throw new Error("flat array reader given an object");
        } else if (this.depth === 2) {
          this.inner = token === TokenType.LEFT_BRACKET ? "array" : "object";
          this.record = [];
          this.objectRecord = {};
          this.objectKey = undefined;
          this.objectKeyNext = this.inner === "object";
        } else {
          this.nestedSkipped = true;
        }
        return;
      }
      case TokenType.RIGHT_BRACKET:
      case TokenType.RIGHT_BRACE: {
        if (this.depth === 2) this.endRecord();
        this.depth--;
        if (this.depth === 0) this.ended = true;
        return;
      }
      case TokenType.COMMA:
        if (this.depth === 2 && this.inner === "object") this.objectKeyNext = true;
        return;
      case TokenType.COLON:
        return;
      default:
        break;
    }
    // A scalar.
    const cell: Cell =
      token === TokenType.STRING ? (value as string)
      : token === TokenType.NUMBER ? (value as number)
      : token === TokenType.TRUE ? true
      : token === TokenType.FALSE ? false
      : null;
    if (this.depth === 1) {
      this.buf.push(cell);
      if (this.buf.length - this.pos >= 4 * this.width + 2) this.drain(false);
    } else if (this.depth === 2) {
      if (this.inner === "array") this.record.push(cell);
      else if (this.objectKeyNext) {
        this.objectKey = String(cell);
        this.objectKeyNext = false;
      } else if (this.objectKey !== undefined) {
        const key = headerKey(this.objectKey);
        if (key) this.objectRecord[key] = cell;
        this.objectKey = undefined;
      }
    }
  }

  private endRecord(): void {
    if (this.inner === "array") {
      const cells = this.record;
      if (!this.writer) {
        const index = mapHeader(cells);
        if (index) {
          this.writer = new FlatRowWriter(this.table, index);
          this.headerDone = true;
          return;
        }
        this.table.warn("No header row found: assumed the standard 12 columns in the spec's order.");
        this.writer = new FlatRowWriter(this.table, DEFAULT_INDEX);
        this.headerDone = true;
      }
      if (cells.length < this.expectedWidth()) {
        this.table.warn("Skipped row arrays with fewer cells than the header.");
        return;
      }
      this.writer.write(cells, 0);
    } else {
      if (!this.writer) {
        this.writer = new FlatRowWriter(this.table, OBJECT_INDEX);
        this.headerDone = true;
      }
      const r = this.objectRecord;
      const cells = COLUMN_KEYS.map((k) => r[k] ?? null);
      if (r.dataType === undefined) {
        this.table.warn("Skipped row objects without a Data Type.");
        return;
      }
      this.writer.write(cells, 0);
    }
  }

  private expectedWidth(): number {
    const idx = this.writer?.index;
    if (!idx) return this.width;
    return Math.max(...COLUMN_KEYS.map((k) => idx[k])) + 1;
  }

  /** Reads the header as the longest prefix of recognised, distinct column names. */
  private finishHeader(): void {
    const seen = new Set<ColumnKey>();
    let n = 0;
    for (let i = this.pos; i < this.buf.length; i++) {
      const key = headerKey(this.buf[i]);
      if (!key || seen.has(key)) break;
      seen.add(key);
      n++;
    }
    const cells = this.buf.slice(this.pos, this.pos + n);
    const index = n > 0 ? mapHeader(cells) : undefined;
    if (index) {
      this.width = n;
      this.pos += n;
      this.writer = new FlatRowWriter(this.table, index);
    } else if (this.buf.length > this.pos) {
      this.table.warn("No header row found: assumed the standard 12 columns in the spec's order.");
      this.width = FORECAST_COLUMNS.length;
      this.writer = new FlatRowWriter(this.table, DEFAULT_INDEX);
    }
    this.headerDone = true;
  }

  /**
   * Emits complete rows from the token buffer. Rows are checked against the Data Type column;
   * when the Data Value is the last column and a row lacks it (as in the spec's own example),
   * the next row's alignment shows it and the row is read with an empty value.
   */
  private drain(final: boolean): void {
    if (!this.headerDone) {
      if (!final && this.buf.length < 3 * FORECAST_COLUMNS.length) return;
      this.finishHeader();
    }
    const writer = this.writer;
    if (!writer) return;
    const buf = this.buf;
    const W = this.width;
    const dt = writer.index.dataType;
    const valueLast = writer.index.value === W - 1;
    let p = this.pos;
    for (;;) {
      const avail = buf.length - p;
      if (avail < W) {
        if (final && avail > 0) {
          this.table.warn(`Ignored a trailing partial row (${avail} of ${W} values).`);
          p = buf.length;
        }
        break;
      }
      if (!final && avail < 2 * W + 1) break;
      if (!isDataTypeCell(buf[p + dt])) {
        p++;
        this.skippedTokens++;
        continue;
      }
      let valueMissing = false;
      if (valueLast) {
        const fullNext = p + W + dt;
        const shortNext = p + W - 1 + dt;
        if (fullNext < buf.length && isDataTypeCell(buf[fullNext])) valueMissing = false;
        else if (shortNext < buf.length && isDataTypeCell(buf[shortNext])) valueMissing = true;
      }
      writer.write(buf, p, valueMissing);
      p += valueMissing ? W - 1 : W;
    }
    if (p > 65536 || p === buf.length) {
      this.buf = buf.slice(p);
      this.pos = 0;
    } else {
      this.pos = p;
    }
  }
}

const OBJECT_INDEX: ColumnIndex = Object.fromEntries(COLUMN_KEYS.map((k, i) => [k, i])) as ColumnIndex;

/** csv-parse options shared by the in-memory and streaming CSV readers. */
export const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  trim: true,
} as const;

/** Consumes CSV records (arrays of cells) as csv-parse emits them. */
export class CsvRecordSink {
  private writer: FlatRowWriter | undefined;
  private width: number = 0;
  private shortRows = 0;
  private lastWasShort = false;

  constructor(private readonly table: ForecastTable) {
    table.shape = "csv";
  }

  push(record: string[]): void {
    if (!this.writer) {
      const index = mapHeader(record);
      if (index) {
        this.writer = new FlatRowWriter(this.table, index);
        this.width = Math.max(...COLUMN_KEYS.map((k) => index[k])) + 1;
        return;
      }
      this.table.warn("No header row found: assumed the standard 12 columns in the spec's order.");
      this.writer = new FlatRowWriter(this.table, DEFAULT_INDEX);
      this.width = FORECAST_COLUMNS.length;
    }
    if (record.length < this.width) {
      this.shortRows++;
      this.lastWasShort = true;
      return;
    }
    this.lastWasShort = false;
    this.writer.write(record, 0);
  }

  /** `truncated`: the parser stopped inside an unclosed quote at the end of the file. */
  end(truncated: boolean): void {
    if (truncated) {
      this.table.warn("The export file ended inside a quoted value (truncated?): the last, incomplete row was ignored.");
    }
    if (this.shortRows === 1 && this.lastWasShort) {
      this.table.warn("Ignored a trailing partial row (fewer columns than the header).");
    } else if (this.shortRows > 0) {
      this.table.warn(`Ignored ${this.shortRows} row(s) with fewer columns than the header.`);
    }
    this.writer?.finish();
  }
}
