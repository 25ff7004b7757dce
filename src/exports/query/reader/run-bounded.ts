/**
 * Runs one caller query on its own connection and returns a bounded result: at most `limit` rows,
 * every cell at most `cellBytes` and the whole answer at most `totalBytes` (JSON), checked before
 * a value becomes a JavaScript string or array (a text's length and a list's item count are read
 * from DuckDB's vectors first). Rows past a bound are still counted, never converted.
 */
import { DuckDBListVector, DuckDBVarCharVector, type DuckDBDataChunk, type DuckDBPreparedStatement, type DuckDBVector } from "@duckdb/node-api";
import { toCell, type Cell } from "./to-cell.js";

export interface Bounds {
  limit: number;
  cellBytes: number;
  totalBytes: number;
}

export interface BoundedResult {
  columns: Array<{ name: string; type: string }>;
  rows: Cell[][];
  /** Rows the query produced (before the limit). */
  row_count: number;
  truncated: boolean;
  /** Set when a byte bound cut the answer: which one, and where. */
  bytesNote?: string;
}

interface VectorInternals {
  dataView?: DataView;
  entryData?: BigUint64Array;
  childData?: DuckDBVector;
  entryVectors?: DuckDBVector[];
  listVector?: DuckDBVector;
  structVector?: DuckDBVector;
  arrayType?: { length: number };
  validity?: { itemValid(row: number): boolean };
}

/**
 * What a cell would cost as JSON, measured from DuckDB's vectors without converting a value
 * (a text's length from its string header, a list's items from its entries, a struct's fields
 * one by one), stopping as soon as it passes `budget`: a nested value is never walked further
 * than the cell limit. These are node-api's vector fields, which its API does not expose; the
 * isolation tests pin them.
 */
function measure(vector: DuckDBVector, row: number, budget: number): number {
  const v = vector as unknown as VectorInternals;
  if (v.validity && !v.validity.itemValid(row)) return 4;
  if (vector instanceof DuckDBVarCharVector && v.dataView) return v.dataView.getUint32(row * 16, true) + 2;
  let items: [DuckDBVector, number, number] | undefined;
  if (vector instanceof DuckDBListVector && v.entryData && v.childData) items = [v.childData, Number(v.entryData[row * 2] ?? 0n), Number(v.entryData[row * 2 + 1] ?? 0n)];
  else if (v.arrayType && v.childData) items = [v.childData, row * v.arrayType.length, v.arrayType.length];
  else if (v.listVector) return measure(v.listVector, row, budget);
  else if (v.structVector) return measure(v.structVector, row, budget);
  if (items) {
    const [child, start, count] = items;
    let total = 2;
    for (let i = 0; i < count && total <= budget; i++) total += measure(child, start + i, budget - total) + 1;
    return total;
  }
  if (v.entryVectors) {
    let total = 2;
    for (const entry of v.entryVectors) {
      total += measure(entry, row, budget - total) + 16;
      if (total > budget) break;
    }
    return total;
  }
  // Numbers, dates, booleans: a few bytes each.
  return 24;
}

function oversize(bytes: number, cellBytes: number): string {
  // A nested value is measured only until it passes the limit: its size is then "over N".
  const size = bytes > cellBytes + 64 ? `${bytes.toLocaleString("en-US")} bytes` : "more bytes";
  return `[${size}: over the ${cellBytes.toLocaleString("en-US")}-byte cell limit; select left(...), length(...) or an aggregate instead]`;
}

/** A column's name or type, cut (a query can name a column with megabytes of text). */
function capName(text: string): string {
  return text.length > NAME_CHARS ? `${text.slice(0, NAME_CHARS)}…` : text;
}
const NAME_CHARS = 256;

function convertRows(chunk: DuckDBDataChunk, bounds: Bounds, rows: Cell[][], used: { bytes: number; cut?: string }): void {
  const vectors = Array.from({ length: chunk.columnCount }, (_, c) => chunk.getColumnVector(c));
  for (let r = 0; r < chunk.rowCount && rows.length < bounds.limit && used.cut === undefined; r++) {
    const row: Cell[] = [];
    for (const vector of vectors) {
      const size = measure(vector, r, bounds.cellBytes);
      let cell: Cell;
      if (size > bounds.cellBytes) cell = oversize(size, bounds.cellBytes);
      else {
        cell = toCell(vector.getItem(r));
        const bytes = typeof cell === "string" ? Buffer.byteLength(cell) : JSON.stringify(cell).length;
        if (bytes > bounds.cellBytes) cell = oversize(bytes, bounds.cellBytes);
      }
      row.push(cell);
    }
    const bytes = JSON.stringify(row).length;
    if (used.bytes + bytes > bounds.totalBytes) {
      used.cut = `answer cut at ${used.bytes.toLocaleString("en-US")} bytes (the ${bounds.totalBytes.toLocaleString("en-US")}-byte limit): aggregate, select fewer columns or lower limit`;
      return;
    }
    used.bytes += bytes;
    rows.push(row);
  }
}

export async function runBounded(prepared: DuckDBPreparedStatement, bounds: Bounds): Promise<BoundedResult> {
  const result = await prepared.stream();
  const names = result.columnNames();
  const columns = result.columnTypes().map((type, i) => ({ name: capName(names[i] ?? `column${i}`), type: capName(type.toString()) }));
  const header = JSON.stringify(columns).length;
  if (header > bounds.totalBytes / 2) throw new Error(`The answer would have ${columns.length} columns (${header} bytes of names alone): select the columns you need.`);
  const rows: Cell[][] = [];
  const used: { bytes: number; cut?: string } = { bytes: header };
  let count = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    count += chunk.rowCount;
    if (rows.length < bounds.limit && used.cut === undefined) convertRows(chunk, bounds, rows, used);
    // Between chunks the worker hears interrupts and answers other callers' queries.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { columns, rows, row_count: count, truncated: count > rows.length, ...(used.cut ? { bytesNote: used.cut } : {}) };
}
