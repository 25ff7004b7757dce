/**
 * Writing rows into DuckDB through its appender: small tables row by row, the forecast's
 * value rows column by column in whole chunks (typed vectors, no per-value call into DuckDB).
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBTypeId,
  INTEGER,
  dateValue,
  listValue,
  timestampTZValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBTimestampTZValue,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";

const DAY_MS = 86_400_000;

/**
 * Rows written before other work on the server's thread gets a turn: loading a 5M-row export
 * holds the thread for seconds in all, and other callers' requests waited up to ~1 s at a time.
 */
const ROWS_PER_TURN = 32_768;

/** Connections whose load was stopped (Generations.close): an interrupt reaches no load that has given the thread up. */
const stopped = new WeakSet<DuckDBConnection>();

/** Stops the appends on `con` at their next turn (the server is closing). */
export function stopAppends(con: DuckDBConnection): void {
  stopped.add(con);
}

/** Gives other work the thread, then goes on unless the load was stopped meanwhile. */
async function turn(con: DuckDBConnection): Promise<void> {
  await nextTurn();
  if (stopped.has(con)) throw new Error("INTERRUPT Error: Interrupted! (the server is closing: the load was stopped)");
}

/** A TIMESTAMPTZ from epoch ms (null when absent). */
export function ts(ms: number | null | undefined): DuckDBValue {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : timestampTZValue(BigInt(Math.round(ms * 1000)));
}

/** A TIMESTAMPTZ from an ISO date-time (null when absent or unreadable). */
export function tsIso(iso: string | null | undefined): DuckDBValue {
  return iso ? ts(Date.parse(iso)) : null;
}

/** A DATE from an ISO date or date-time, or epoch ms (null when unreadable). */
export function day(input: unknown): DuckDBValue {
  const ms = typeof input === "number" ? input : typeof input === "string" && input.trim() !== "" ? Date.parse(input.trim().slice(0, 10)) : Number.NaN;
  return Number.isFinite(ms) ? dateValue(Math.floor(ms / DAY_MS)) : null;
}

export function list(items: readonly string[]): DuckDBValue {
  return listValue(items);
}

/** Empty text is NULL in the query tables. */
export function text(s: string | null | undefined): DuckDBValue {
  return s === null || s === undefined || s === "" ? null : s;
}

/** An appender on `table`, `schema.table` or `catalog.schema.table`. */
function appenderOn(con: DuckDBConnection, table: string) {
  const parts = table.split(".");
  if (parts.length === 3) return con.createAppender(parts[2]!, parts[1], parts[0]);
  return parts.length === 2 ? con.createAppender(parts[1]!, parts[0]) : con.createAppender(table);
}

/** Writes one value into the appender's next column, by that column's type (null already handled). */
type ColumnWriter = (appender: DuckDBAppender, value: DuckDBValue) => void;

// Typed appends write straight into DuckDB. appendValue builds a native value per call that is
// freed only when V8 collects it: a 5,000-user hierarchy held ~45 MB that way until the next GC.
function writerFor(type: DuckDBType): ColumnWriter {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return (a, v) => a.appendVarchar(String(v));
    case DuckDBTypeId.INTEGER:
      return (a, v) => a.appendInteger(Number(v));
    case DuckDBTypeId.BIGINT:
      return (a, v) => a.appendBigInt(BigInt(v as number | bigint));
    case DuckDBTypeId.DOUBLE:
      return (a, v) => a.appendDouble(Number(v));
    case DuckDBTypeId.BOOLEAN:
      return (a, v) => a.appendBoolean(Boolean(v));
    case DuckDBTypeId.DATE:
      return (a, v) => a.appendDate(v as DuckDBDateValue);
    // Same microseconds since the epoch; the column keeps its time zone (UTC).
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (a, v) => a.appendTimestamp(v as DuckDBTimestampTZValue);
    default:
      return (a, v) => a.appendValue(v, type);
  }
}

export async function appendRows(con: DuckDBConnection, table: string, rows: Iterable<readonly DuckDBValue[]>): Promise<number> {
  const appender = await appenderOn(con, table);
  const writers = Array.from({ length: appender.columnCount }, (_, i) => writerFor(appender.columnType(i)));
  let n = 0;
  try {
    for (const row of rows) {
      row.forEach((value, c) => {
        if (value === null || value === undefined) appender.appendNull();
        else (writers[c] as ColumnWriter)(appender, value);
      });
      appender.endRow();
      if (++n % ROWS_PER_TURN === 0) await turn(con);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return n;
}

/** A chunk of numeric columns for {@link appendNumericChunks} (NaN = NULL). */
export interface NumericChunk {
  length: number;
  columns: readonly ArrayLike<number>[];
}

/** Rows of one DuckDB data chunk (its standard vector size). */
const CHUNK_ROWS = 2048;

/** Rows a table takes in before a CHECKPOINT compresses them (one DuckDB row group). */
const ROWS_PER_CHECKPOINT = 122_880;

/** One column of a chunk as DuckDB holds it: values (NULL written as 0) and the validity bits. */
class NumericColumn {
  private readonly values: Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
  private readonly validity = new Uint8Array(CHUNK_ROWS / 8);

  constructor(private readonly type: "INTEGER" | "DOUBLE") {
    this.values = type === "INTEGER" ? new Int32Array(CHUNK_ROWS) : new Float64Array(CHUNK_ROWS);
  }

  /** Copies `length` values (NaN = NULL) into `vector`. */
  write(vector: duckdb.Vector, source: ArrayLike<number>, length: number): void {
    const { values, validity } = this;
    validity.fill(0xff);
    for (let k = 0; k < length; k++) {
      const v = source[k] as number;
      if (v === v) values[k] = v;
      else {
        values[k] = 0;
        validity[k >> 3] = (validity[k >> 3] as number) & ~(1 << (k & 7));
      }
    }
    const width = this.type === "INTEGER" ? 4 : 8;
    duckdb.copy_data_to_vector(vector, 0, values.buffer, 0, length * width);
    // The validity mask is 64-bit words, least significant bit first: row k is bit k & 7 of byte k >> 3.
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(length / 64) * 8);
  }
}

/**
 * Appends numeric chunks (each at most 2048 rows) into a table of exactly those INTEGER/DOUBLE
 * columns. Values are copied into the chunk's vectors a column at a time (a setItem per value
 * cost ~0.5 µs: a quarter of loading a 5,000-user export). A CHECKPOINT after each row group
 * compresses it, so at most one row group is held uncompressed while a large export loads.
 */
export async function appendNumericChunks(con: DuckDBConnection, table: string, types: readonly ("INTEGER" | "DOUBLE")[], chunks: Iterable<NumericChunk>): Promise<number> {
  const chunk = DuckDBDataChunk.create(types.map((t) => (t === "INTEGER" ? INTEGER : DOUBLE)));
  const columns = types.map((t) => new NumericColumn(t));
  let appender = await appenderOn(con, table);
  let rows = 0;
  let sinceCheckpoint = 0;
  let sinceTurn = 0;
  try {
    for (const part of chunks) {
      if (part.length > CHUNK_ROWS) throw new Error(`a chunk of ${part.length} rows is more than ${CHUNK_ROWS}`);
      chunk.reset();
      chunk.rowCount = part.length;
      part.columns.forEach((values, c) => (columns[c] as NumericColumn).write(duckdb.data_chunk_get_vector(chunk.chunk, c), values, part.length));
      appender.appendDataChunk(chunk);
      rows += part.length;
      sinceCheckpoint += part.length;
      sinceTurn += part.length;
      if (sinceTurn >= ROWS_PER_TURN) {
        sinceTurn = 0;
        await turn(con);
      }
      if (sinceCheckpoint >= ROWS_PER_CHECKPOINT) {
        appender.closeSync();
        await con.run("CHECKPOINT");
        appender = await appenderOn(con, table);
        sinceCheckpoint = 0;
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows;
}
