/** Which of Clari's three forecast shapes a file is, told from its first bytes, and the errors of reading one. */
import { CsvError } from "csv-parse";
import type { ForecastShape } from "../table/forecast-row.js";
import { JsonEntryTooLargeError } from "./json-batches.js";

/** Thrown when an export cannot be read at all (not merely truncated). */
export class ForecastParseError extends Error {
  override readonly name = "ForecastParseError";
}

/** An export with more rows than the memory cap lets the server take in (read/row-budget.ts). */
export class ForecastTooLargeError extends Error {
  override readonly name = "ForecastTooLargeError";
  constructor(
    readonly maxRows: number,
    readonly queryMemoryMb: number,
  ) {
    super(
      `it has more than ${maxRows.toLocaleString("en-US")} rows, more than --query-memory-mb ${queryMemoryMb} lets the server hold (plus its fixed overhead); ` +
        "start the server with a larger --query-memory-mb, or export less (one timePeriod, a scopeId, fewer typesToExport)",
    );
  }
}

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

export function wrapJsonError(err: unknown): ForecastParseError {
  if (err instanceof ForecastParseError) return err;
  if (err instanceof JsonEntryTooLargeError) return new ForecastParseError(`The forecast export cannot be read: ${err.message}.`);
  const msg = err instanceof Error ? err.message : String(err);
  return new ForecastParseError(`The forecast export is not valid JSON: ${msg}`);
}

/** True when a CSV error only means the file ended inside a quoted value (truncation). */
export function handleCsvError(err: unknown): boolean {
  if (err instanceof CsvError && err.code === "CSV_QUOTE_NOT_CLOSED") return true;
  const msg = err instanceof Error ? err.message : String(err);
  throw new ForecastParseError(`The forecast export is not valid CSV: ${msg}`);
}
