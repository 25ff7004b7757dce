/**
 * Entry points that turn a forecast export (any of Clari's three shapes) into a
 * {@link ForecastTable}. The shape is detected from the content: first non-whitespace
 * character `{` -> JSON tables, `[` -> flat array, anything else -> CSV.
 *
 * Both entry points stream: the file reader never holds the whole text nor a JSON tree, and
 * the in-memory reader feeds the same streaming readers in slices.
 */

import { once } from "node:events";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse as parseCsvStream, CsvError } from "csv-parse";
import { parse as parseCsvSync } from "csv-parse/sync";
import { CsvRecordSink, CSV_OPTIONS } from "./csv-sink.js";
import { FlatArrayReader } from "./flat-array-reader.js";
import type { ForecastShape } from "../table/forecast-row.js";
import { ForecastTable } from "../table/forecast-table.js";
import { TablesReader } from "./forecast-tables.js";
import { JsonEntryTooLargeError } from "./json-batches.js";

export { ForecastTable } from "../table/forecast-table.js";

/** Thrown when an export cannot be read at all (not merely truncated). */
export class ForecastParseError extends Error {
  override readonly name = "ForecastParseError";
}

const SLICE = 1 << 20;

/** Detects the export shape from its first bytes (a UTF-8 BOM and whitespace are skipped). */
export function detectForecastShape(head: Uint8Array | string): ForecastShape {
  if (typeof head === "string") {
    for (let i = 0; i < head.length; i++) {
      const ch = head.charCodeAt(i);
      if (ch === 0xfeff || ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) continue;
      return ch === 0x7b ? "tables" : ch === 0x5b ? "flat_array" : "csv";
    }
    return "empty";
  }
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  for (; i < head.length; i++) {
    const b = head[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b ? "tables" : b === 0x5b ? "flat_array" : "csv";
  }
  return "empty";
}

interface JsonReader {
  write(chunk: Uint8Array): void;
  end(): void;
}

function jsonReader(shape: "tables" | "flat_array", table: ForecastTable): JsonReader {
  return shape === "tables" ? new TablesReader(table) : new FlatArrayReader(table);
}

function wrapJsonError(err: unknown): ForecastParseError {
  if (err instanceof JsonEntryTooLargeError) return new ForecastParseError(`The forecast export cannot be read: ${err.message}.`);
  const msg = err instanceof Error ? err.message : String(err);
  return new ForecastParseError(`The forecast export is not valid JSON: ${msg}`);
}

/** Strips a UTF-8 BOM, which is no part of the JSON. */
function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Normalises an in-memory forecast export (JSON tables, flat JSON array, or CSV).
 * Rows in the returned table keep the file's order; warnings (truncation, skipped rows) are in
 * `table.warnings`. Throws {@link ForecastParseError} when the content cannot be read.
 */
export function normaliseForecast(input: Buffer | Uint8Array | string): ForecastTable {
  const table = new ForecastTable();
  const head = typeof input === "string" ? input.slice(0, 4096) : input.subarray(0, 4096);
  const shape = detectForecastShape(head);
  if (shape === "empty") {
    table.warn("The export is empty.");
    return table;
  }
  if (shape === "csv") {
    const sink = new CsvRecordSink(table);
    let truncated = false;
    try {
      parseCsvSync(typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength), {
        ...CSV_OPTIONS,
        on_record: (record: string[]) => {
          sink.push(record);
          return null;
        },
      });
    } catch (err) {
      truncated = handleCsvError(err);
    }
    sink.end(truncated);
    table.compact();
    return table;
  }
  const reader = jsonReader(shape, table);
  const bytes = typeof input === "string" ? Buffer.from(stripBom(input), "utf8") : input;
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    for (let i = start; i < bytes.length; i += SLICE) reader.write(bytes.subarray(i, i + SLICE));
    reader.end();
  } catch (err) {
    throw wrapJsonError(err);
  }
  table.compact();
  return table;
}

/** True when a CSV error only means the file ended inside a quoted value (truncation). */
function handleCsvError(err: unknown): boolean {
  if (err instanceof CsvError && err.code === "CSV_QUOTE_NOT_CLOSED") return true;
  const msg = err instanceof Error ? err.message : String(err);
  throw new ForecastParseError(`The forecast export is not valid CSV: ${msg}`);
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Normalises a forecast export file by streaming it: the whole text and a full JSON tree are
 * never in memory together; only the columnar table grows.
 */
export async function normaliseForecastFile(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<ForecastTable> {
  const table = new ForecastTable();
  const shape = detectForecastShape(await readHead(path));
  if (shape === "empty") {
    table.warn("The export is empty.");
    return table;
  }
  const streamOptions = options.signal ? { signal: options.signal } : {};
  if (shape === "csv") {
    const sink = new CsvRecordSink(table);
    let truncated = false;
    // Records are taken from the parser's stream: an on_record hook would make csv-parse build a
    // per-record info object, about a tenth of the time on large files.
    const parser = parseCsvStream(CSV_OPTIONS);
    const consume = new Writable({
      objectMode: true,
      write(record: string[], _enc, cb) {
        sink.push(record);
        cb();
      },
    });
    try {
      await pipeline(createReadStream(path, { highWaterMark: 1 << 16 }), parser, consume, streamOptions);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      truncated = handleCsvError(err);
    }
    sink.end(truncated);
    table.compact();
    return table;
  }
  const reader = jsonReader(shape, table);
  const stream = createReadStream(path, { highWaterMark: 1 << 16, ...streamOptions });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let c: Uint8Array = chunk;
      if (first) {
        first = false;
        if (c[0] === 0xef && c[1] === 0xbb && c[2] === 0xbf) c = c.subarray(3);
      }
      try {
        reader.write(c);
      } catch (err) {
        throw wrapJsonError(err);
      }
    }
    try {
      reader.end();
    } catch (err) {
      throw wrapJsonError(err);
    }
  } finally {
    if (!stream.destroyed) {
      stream.destroy();
      await once(stream, "close").catch(() => undefined);
    }
  }
  table.compact();
  return table;
}
