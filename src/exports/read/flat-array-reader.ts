/**
 * The reader for the spec's flat JSON forecast shape: a header then 12 values per row in one
 * array of strings (also tolerated as an array of row arrays or row objects), streamed through
 * the JSON tokenizer into a {@link FlatRowWriter}.
 */

import { Tokenizer, TokenType } from "@streamparser/json";
import type { ForecastTable } from "../table/forecast-table.js";
import { COLUMN_KEYS, DEFAULT_INDEX, FORECAST_COLUMNS, headerKey, isDataTypeCell, mapHeader, OBJECT_INDEX, type Cell, type ColumnKey } from "./flat-columns.js";
import { FlatRowWriter } from "./flat-row-writer.js";

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
