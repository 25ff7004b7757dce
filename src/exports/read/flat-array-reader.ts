/**
 * The reader for the spec's flat JSON forecast shape: a header then 12 values per row in one
 * array of strings (also tolerated as an array of row arrays or row objects), read in batches of
 * whole values (json-batches.ts) into a {@link FlatRowWriter}.
 */

import type { ForecastTable } from "../table/forecast-table.js";
import { COLUMN_KEYS, DEFAULT_INDEX, FORECAST_COLUMNS, headerKey, isDataTypeCell, mapHeader, OBJECT_INDEX, type Cell, type ColumnKey } from "./flat-columns.js";
import { NOT_AN_EXPORT } from "./damage.js";
import { FlatRowWriter } from "./flat-row-writer.js";
import { JsonBatchSplitter } from "./json-batches.js";

const isCell = (v: unknown): v is Cell => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * Reads the flat-array shape. Accepts a flat array of strings (the spec's example), an array of
 * row arrays, or an array of row objects keyed by column name.
 */
export class FlatArrayReader {
  private readonly splitter = new JsonBatchSplitter("array", (_name, values) => this.accept(values));
  private inner: "none" | "array" | "object" = "none";
  private record: Cell[] = [];
  private objectRecord: Partial<Record<ColumnKey, Cell>> = {};
  private nestedSkipped = false;

  // Flat mode.
  private buf: Cell[] = [];
  private pos = 0;
  private headerDone = false;
  private width: number = FORECAST_COLUMNS.length;
  private writer: FlatRowWriter | undefined;
  private skippedTokens = 0;

  constructor(private readonly table: ForecastTable) {
    table.shape = "flat_array";
  }

  write(chunk: Uint8Array): void {
    this.splitter.write(chunk);
  }

  /** Takes parsed items of the top array, in file order. */
  accept(values: unknown[]): void {
    for (const value of values) this.onValue(value);
  }

  /** Ends the stream; a truncated tail is dropped with a warning. */
  end(): void {
    this.splitter.end();
    this.finish(this.splitter.complete);
  }

  /** Emits what is left; `complete` is false when the file was cut short. */
  finish(complete: boolean): void {
    const truncated = !complete;
    if (!this.headerDone) this.finishHeader();
    this.drain(true);
    if (truncated) this.table.warn("The export file ended early (truncated?): the last, incomplete row was ignored.");
    if (this.skippedTokens > 0) {
      this.table.warn(`Skipped ${this.skippedTokens} value(s) in the flat array that did not line up with a 12-column row.`);
    }
    if (this.nestedSkipped) this.table.warn("Ignored nested values deeper than a row.");
    // An empty array has no header row either: Clari's flat export always starts with one.
    if (!this.writer) this.table.warn(NOT_AN_EXPORT.noHeader);
    this.writer?.finish();
  }

  /** One item of the top array: a value of the flat run, or a whole row (array or object). */
  private onValue(value: unknown): void {
    if (isCell(value)) {
      this.buf.push(value);
      if (this.buf.length - this.pos >= 4 * this.width + 2) this.drain(false);
      return;
    }
    if (Array.isArray(value)) {
      this.inner = "array";
      this.record = [];
      for (const cell of value as unknown[]) {
        if (isCell(cell)) this.record.push(cell);
        else this.nestedSkipped = true;
      }
    } else {
      this.inner = "object";
      this.objectRecord = {};
      for (const [name, cell] of Object.entries(value as Record<string, unknown>)) {
        if (!isCell(cell)) {
          this.nestedSkipped = true;
          continue;
        }
        const key = headerKey(name);
        if (key) this.objectRecord[key] = cell;
      }
    }
    this.endRecord();
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
        this.table.warn(NOT_AN_EXPORT.noHeader);
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
      this.table.warn(NOT_AN_EXPORT.noHeader);
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
