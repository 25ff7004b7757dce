/**
 * Writing rows into DuckDB through its appender: small tables row by row, the forecast's
 * value rows column by column in whole chunks (typed vectors, no per-value call into DuckDB).
 */
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBListValue,
  INTEGER,
  LIST,
  VARCHAR,
  dateValue,
  listValue,
  timestampTZValue,
  type DuckDBConnection,
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

/** An appender on `table` or `schema.table`. */
function appenderOn(con: DuckDBConnection, table: string) {
  const dot = table.indexOf(".");
  return dot < 0 ? con.createAppender(table) : con.createAppender(table.slice(dot + 1), table.slice(0, dot));
}

export async function appendRows(con: DuckDBConnection, table: string, rows: Iterable<readonly DuckDBValue[]>): Promise<number> {
  const appender = await appenderOn(con, table);
  let n = 0;
  try {
    for (const row of rows) {
      for (const value of row) {
        if (value === null || value === undefined) appender.appendNull();
        // Lists here are lists of text; an empty one has no item type of its own.
        else if (value instanceof DuckDBListValue) appender.appendList(value, LIST(VARCHAR));
        else appender.appendValue(value);
      }
      appender.endRow();
      n++;
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return n;
}

/** One numeric column for {@link appendNumericColumns}: values, and how to read one (NaN = NULL). */
export interface NumericColumn {
  type: "INTEGER" | "DOUBLE";
  at(i: number): number;
}

/** Appends `count` rows of numeric columns into a table of exactly those columns, 2048 rows a chunk. */
export async function appendNumericColumns(con: DuckDBConnection, table: string, columns: readonly NumericColumn[], count: number): Promise<void> {
  const types = columns.map((col) => (col.type === "INTEGER" ? INTEGER : DOUBLE));
  const size = 2048;
  const appender = await appenderOn(con, table);
  try {
    const chunk = DuckDBDataChunk.create(types, size);
    for (let start = 0; start < count; start += size) {
      const n = Math.min(size, count - start);
      chunk.reset();
      chunk.rowCount = n;
      for (let c = 0; c < columns.length; c++) {
        const col = columns[c] as NumericColumn;
        const vector = chunk.getColumnVector(c);
        for (let k = 0; k < n; k++) {
          const v = col.at(start + k);
          vector.setItem(k, Number.isNaN(v) ? null : v);
        }
        vector.flush();
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
