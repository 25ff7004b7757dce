/**
 * Runs one caller query on its own connection and returns a bounded result: at most `limit` rows,
 * every cell at most `cellBytes` and the whole answer at most `totalBytes` (JSON), checked before
 * a value becomes a JavaScript string or array (a text's length and a list's item count are read
 * from DuckDB's vectors first, once the cell is known not to be NULL). Rows past a bound are still
 * counted, never converted.
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

/** A text's byte length from DuckDB's string header (no decoding). */
function textBytes(vector: DuckDBVarCharVector, row: number): number {
  return (vector as unknown as { dataView: DataView }).dataView.getUint32(row * 16, true);
}

/** A list's item count from DuckDB's list entry (no conversion). */
function listItems(vector: DuckDBListVector, row: number): number {
  return Number((vector as unknown as { entryData: BigUint64Array }).entryData[row * 2 + 1] ?? 0n);
}

/** Whether the cell holds a value: a NULL's string header or list entry is whatever was in its slot before. */
function isValid(vector: DuckDBVarCharVector | DuckDBListVector, row: number): boolean {
  return (vector as unknown as { validity: { itemValid(row: number): boolean } }).validity.itemValid(row);
}

/** What a cell would cost before converting it, when that can be known; else undefined. */
function knownSize(vector: DuckDBVector, row: number): number | undefined {
  if ((vector instanceof DuckDBVarCharVector || vector instanceof DuckDBListVector) && !isValid(vector, row)) return 0;
  if (vector instanceof DuckDBVarCharVector) return textBytes(vector, row);
  // Each item costs at least a byte and a comma in JSON.
  if (vector instanceof DuckDBListVector) return listItems(vector, row) * 2;
  return undefined;
}

function oversize(bytes: number, cellBytes: number): string {
  return `[${bytes.toLocaleString("en-US")} bytes: over the ${cellBytes.toLocaleString("en-US")}-byte cell limit; select left(...), length(...) or an aggregate instead]`;
}

function convertRows(chunk: DuckDBDataChunk, bounds: Bounds, rows: Cell[][], used: { bytes: number; cut?: string }): void {
  const vectors = Array.from({ length: chunk.columnCount }, (_, c) => chunk.getColumnVector(c));
  for (let r = 0; r < chunk.rowCount && rows.length < bounds.limit && used.cut === undefined; r++) {
    const row: Cell[] = [];
    for (const vector of vectors) {
      const size = knownSize(vector, r);
      let cell: Cell;
      if (size !== undefined && size > bounds.cellBytes) cell = oversize(size, bounds.cellBytes);
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
  const columns = result.columnTypes().map((type, i) => ({ name: names[i] ?? `column${i}`, type: type.toString() }));
  const rows: Cell[][] = [];
  const used: { bytes: number; cut?: string } = { bytes: JSON.stringify(columns).length };
  let count = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    count += chunk.rowCount;
    if (rows.length < bounds.limit && used.cut === undefined) convertRows(chunk, bounds, rows, used);
  }
  return { columns, rows, row_count: count, truncated: count > rows.length, ...(used.cut ? { bytesNote: used.cut } : {}) };
}
