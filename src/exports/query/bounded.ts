/**
 * Runs one prepared query within a time limit and returns a bounded result: the first `limit`
 * rows as arrays of JSON values (numbers as numbers, dates and times as ISO strings), the column
 * names and types, and how many rows the query produced in all (counted chunk by chunk, never
 * converted).
 */
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBStructValue,
  DuckDBMapValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from "@duckdb/node-api";
import { QueryTimedOut } from "./errors.js";

export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

export interface BoundedResult {
  columns: Array<{ name: string; type: string }>;
  rows: Cell[][];
  /** Rows the query produced (before the limit). */
  row_count: number;
  truncated: boolean;
}


function isoFromMicros(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(micros) : d.toISOString();
}

export function toCell(v: DuckDBValue): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return isoFromMicros(v.micros);
  if (v instanceof DuckDBTimestampMillisecondsValue) return isoFromMicros(v.millis * 1000n);
  if (v instanceof DuckDBTimestampSecondsValue) return isoFromMicros(v.seconds * 1_000_000n);
  if (v instanceof DuckDBDateValue) return v.toString();
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toCell);
  if (v instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, toCell(x)]));
  if (v instanceof DuckDBMapValue) return v.entries.map((e) => ({ key: toCell(e.key), value: toCell(e.value) }));
  return String(v);
}

export async function runBounded(con: DuckDBConnection, prepared: DuckDBPreparedStatement, options: { limit: number; timeoutMs: number }): Promise<BoundedResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    con.interrupt();
  }, options.timeoutMs);
  try {
    const result = await prepared.stream();
    const names = result.columnNames();
    const columns = result.columnTypes().map((type, i) => ({ name: names[i] ?? `column${i}`, type: type.toString() }));
    const rows: Cell[][] = [];
    let count = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      count += chunk.rowCount;
      if (rows.length < options.limit) {
        for (const row of chunk.getRows()) {
          if (rows.length >= options.limit) break;
          rows.push(row.map(toCell));
        }
      }
    }
    return { columns, rows, row_count: count, truncated: count > rows.length };
  } catch (error) {
    if (timedOut) throw new QueryTimedOut(`Stopped: the query ran past the ${Math.round(options.timeoutMs / 1000)} s time limit. Filter earlier, aggregate, or avoid cross joins.`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
