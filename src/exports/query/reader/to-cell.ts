/** DuckDB values as JSON cells: numbers as numbers, dates and times as ISO strings. */
import {
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";

export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

function isoFromMicros(micros: bigint): string {
  const d = new Date(Number(micros / 1000n));
  return Number.isNaN(d.getTime()) ? String(micros) : d.toISOString();
}

export function toCell(v: DuckDBValue): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
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
