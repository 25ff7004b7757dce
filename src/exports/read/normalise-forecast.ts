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
import { stat } from "node:fs/promises";
import { parse as parseCsvSync } from "csv-parse/sync";
import { CsvRecordSink, CSV_OPTIONS } from "./csv-sink.js";
import { FlatArrayReader } from "./flat-array-reader.js";
import { ForecastTable } from "../table/forecast-table.js";
import { TablesReader } from "./forecast-tables.js";
import { ForecastSink } from "./forecast-sink.js";
import { ForecastParseThread, ParseThreadLost, THREAD_MIN_BYTES } from "./forecast-parse-thread.js";
import { detectForecastShape, handleCsvError, wrapJsonError } from "./forecast-shape.js";
import { NOT_AN_EXPORT } from "./damage.js";

export { ForecastTable } from "../table/forecast-table.js";
export { detectForecastShape, ForecastParseError, ForecastTooLargeError } from "./forecast-shape.js";
export { ForecastSink } from "./forecast-sink.js";

const SLICE = 1 << 20;

/** Strips a UTF-8 BOM, which is no part of the JSON. */
function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

interface JsonReader {
  write(chunk: Uint8Array): void;
  end(): void;
}

function jsonReader(shape: "tables" | "flat_array", table: ForecastTable): JsonReader {
  return shape === "tables" ? new TablesReader(table) : new FlatArrayReader(table);
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
    table.warn(NOT_AN_EXPORT.empty);
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
    const last = typeof input === "string" ? input.charCodeAt(input.length - 1) : input[input.byteLength - 1];
    sink.end(truncated, last === 0x0a || last === 0x0d);
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

/** What a file is streamed into: the in-process sink or the parse thread, which take bytes alike. */
interface FileSink {
  write(chunk: Uint8Array): void;
  ready(): Promise<void>;
  finish(): Promise<ForecastTable>;
  abort(): void;
}

export interface FileOptions {
  signal?: AbortSignal;
  queryMemoryMb?: number | undefined;
  /**
   * Parse a file of THREAD_MIN_BYTES or more on a thread of its own where the built thread
   * exists: a large export read again (5M rows: ~5 s of parsing) then leaves the server's
   * thread free for other callers. Should that thread die, the file is parsed in process.
   */
  onThread?: boolean;
  /** Tests only: the size from which a file goes to the thread. */
  threadMinBytes?: number;
}

/**
 * Stored files read on threads at once, at most: callers paging through many large exports at
 * the same moment would otherwise start a thread (its own heap, ~10 MB and up) for each; past
 * this the file is read in process.
 */
const MAX_THREADS_READING = 2;
let threadsReading = 0;

/**
 * Normalises a forecast export file by streaming it through a {@link ForecastSink} (in process
 * or on the parse thread): the whole text and a full JSON tree are never in memory together;
 * only the columnar table grows.
 */
export async function normaliseForecastFile(path: string, options: FileOptions = {}): Promise<ForecastTable> {
  // Counted after the last await before the thread starts: readers asked at once each see the others.
  if (options.onThread && (await stat(path)).size >= (options.threadMinBytes ?? THREAD_MIN_BYTES) && threadsReading < MAX_THREADS_READING) {
    const thread = ForecastParseThread.start({ queryMemoryMb: options.queryMemoryMb });
    if (thread) {
      threadsReading++;
      try {
        return await streamInto(path, thread, options.signal);
      } catch (error) {
        // A thread that died says nothing about the file: it is read here instead.
        if (!(error instanceof ParseThreadLost)) throw error;
      } finally {
        threadsReading--;
      }
    }
  }
  return streamInto(path, new ForecastSink({ queryMemoryMb: options.queryMemoryMb }), options.signal);
}

async function streamInto(path: string, sink: FileSink, signal: AbortSignal | undefined): Promise<ForecastTable> {
  const stream = createReadStream(path, { highWaterMark: 1 << 16, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      sink.write(chunk);
      await sink.ready();
    }
    return await sink.finish();
  } finally {
    sink.abort();
    if (!stream.destroyed) {
      stream.destroy();
      await once(stream, "close").catch(() => undefined);
    }
  }
}
