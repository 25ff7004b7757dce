/**
 * Writing rows into DuckDB through its appender: small tables row by row, the forecast's
 * value rows column by column in whole chunks (typed vectors, no per-value call into DuckDB).
 */
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

const DAY_MS = 86_400_000;

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
      n++;
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

/** Rows a table takes in before a CHECKPOINT compresses them (one DuckDB row group). */
const ROWS_PER_CHECKPOINT = 122_880;

/**
 * Appends numeric chunks (each at most 2048 rows) into a table of exactly those INTEGER/DOUBLE
 * columns. A CHECKPOINT after each row group compresses it, so at most one row group is held
 * uncompressed while a large export loads.
 */
export async function appendNumericChunks(con: DuckDBConnection, table: string, types: readonly ("INTEGER" | "DOUBLE")[], chunks: Iterable<NumericChunk>): Promise<number> {
  const chunk = DuckDBDataChunk.create(types.map((t) => (t === "INTEGER" ? INTEGER : DOUBLE)));
  let appender = await appenderOn(con, table);
  let rows = 0;
  let sinceCheckpoint = 0;
  try {
    for (const part of chunks) {
      chunk.reset();
      chunk.rowCount = part.length;
      part.columns.forEach((values, c) => {
        const vector = chunk.getColumnVector(c);
        for (let k = 0; k < part.length; k++) {
          const v = values[k] as number;
          vector.setItem(k, Number.isNaN(v) ? null : v);
        }
        vector.flush();
      });
      appender.appendDataChunk(chunk);
      rows += part.length;
      sinceCheckpoint += part.length;
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
