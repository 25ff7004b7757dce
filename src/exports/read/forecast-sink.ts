/**
 * A forecast export normalised as its bytes arrive, in any chunks: the file reader and the
 * download feed the same sink, so a download is parsed while it streams in rather than written
 * and read back. The shape is told from the first bytes; JSON goes to the batched readers, CSV to
 * csv-parse's stream.
 */
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { parse as parseCsvStream, type Parser } from "csv-parse";
import { ForecastTable } from "../table/forecast-table.js";
import { CsvRecordSink, CSV_OPTIONS } from "./csv-sink.js";
import { FlatArrayReader } from "./flat-array-reader.js";
import { TablesReader } from "./forecast-tables.js";
import { detectForecastShape, ForecastTooLargeError, handleCsvError, wrapJsonError } from "./forecast-shape.js";
import { NOT_AN_EXPORT } from "./damage.js";
import { rowBudget } from "./row-budget.js";

export interface SinkOptions {
  /** Refuse the export once its rows would take the server past this cap (--query-memory-mb). */
  queryMemoryMb?: number | undefined;
}

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export class ForecastSink {
  readonly table = new ForecastTable();
  private head: Buffer[] = [];
  private json: TablesReader | FlatArrayReader | undefined;
  private csv: { parser: Parser; done: Promise<unknown> } | undefined;
  private started = false;
  private atStart = true;
  private readonly maxRows: number;

  constructor(private readonly options: SinkOptions = {}) {
    this.maxRows = options.queryMemoryMb === undefined ? Number.POSITIVE_INFINITY : rowBudget(options.queryMemoryMb);
  }

  /**
   * Takes the next bytes; throws a ForecastParseError when they cannot be JSON (CSV errors come
   * at the end), a ForecastTooLargeError once the rows pass the memory cap's budget.
   */
  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (!this.started) {
      this.head.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const head = Buffer.concat(this.head);
      // Undecided while only a BOM or whitespace has come.
      let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
      while (i < head.length && isSpace(head[i] as number)) i++;
      if (i >= head.length || (head.length < 3 && head[0] === 0xef)) return;
      this.start(head);
      return;
    }
    this.feed(chunk);
  }

  /** The normalised table (compacted); a file cut short gives its rows and a warning. */
  async finish(): Promise<ForecastTable> {
    if (!this.started) {
      const head = Buffer.concat(this.head);
      if (detectForecastShape(head) === "empty") {
        this.table.warn(NOT_AN_EXPORT.empty);
        return this.table;
      }
      this.start(head);
    }
    if (this.json) {
      try {
        this.json.end();
      } catch (err) {
        throw wrapJsonError(err);
      }
    } else if (this.csv) {
      const { parser, done } = this.csv;
      parser.end();
      const error = await done;
      const truncated = error === undefined ? false : handleCsvError(error);
      this.csvSink?.end(truncated, this.lastByte === 0x0a || this.lastByte === 0x0d);
    }
    this.checkRows();
    this.table.compact();
    return this.table;
  }

  /** Resolves when the CSV parser can take more (its own buffer is bounded); at once for JSON. */
  async ready(): Promise<void> {
    const parser = this.csv?.parser;
    if (parser?.writableNeedDrain && !parser.destroyed) await Promise.race([once(parser, "drain"), this.csv?.done]);
  }

  /** Stops a CSV parser that will never be finished (a download that failed). */
  abort(): void {
    this.csv?.parser.destroy();
  }

  private csvSink: CsvRecordSink | undefined;
  /** The CSV body's last byte so far: a short last row after a line break is no cut. */
  private lastByte: number | undefined;

  private start(head: Buffer): void {
    this.started = true;
    this.head = [];
    const shape = detectForecastShape(head);
    if (shape === "csv") {
      const sink = (this.csvSink = new CsvRecordSink(this.table));
      // Records are taken from the parser's stream: an on_record hook would make csv-parse build a
      // per-record info object, about a tenth of the time on large files.
      const parser = parseCsvStream(CSV_OPTIONS);
      parser.on("data", (record: string[]) => sink.push(record));
      this.csv = { parser, done: finished(parser).then(() => undefined, (error: unknown) => error) };
    } else {
      this.json = shape === "tables" ? new TablesReader(this.table) : new FlatArrayReader(this.table);
    }
    this.feed(head);
  }

  private feed(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.atStart) {
      this.atStart = false;
      if (this.json && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (this.csv) {
      if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1];
      if (!this.csv.parser.destroyed) this.csv.parser.write(bytes);
      this.checkRows();
      return;
    }
    try {
      this.json?.write(bytes);
    } catch (err) {
      throw wrapJsonError(err);
    }
    this.checkRows();
  }

  private checkRows(): void {
    if (this.table.length > this.maxRows) throw new ForecastTooLargeError(this.maxRows, this.options.queryMemoryMb ?? 0);
  }
}
