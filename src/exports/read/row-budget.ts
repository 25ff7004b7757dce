/**
 * How many rows of one forecast export the server may take in for a given --query-memory-mb.
 * Loading an export holds, for a while, its JavaScript row model, the pivot's grouping and
 * DuckDB's copy; measured (docs/ARCHITECTURE.md, "Memory bounded at any size") at about
 * BYTES_PER_ROW a row over a fixed SERVER_OVERHEAD_MB, so an export is refused, while it
 * downloads or is read, once its rows would take the server past the cap plus that overhead.
 */

/** Peak server RSS per row of the largest export loaded (measured at 1M and 3M rows: 308 and 565 MB). */
export const BYTES_PER_ROW = 135;

/** The server's own memory beside the rows (Node, the SDK, DuckDB loaded, buffers). */
export const SERVER_OVERHEAD_MB = 200;

export function rowBudget(queryMemoryMb: number): number {
  return Math.floor((queryMemoryMb * 1024 * 1024) / BYTES_PER_ROW);
}
