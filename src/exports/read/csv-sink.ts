/** The CSV forecast shape: csv-parse's records, header first, written into a {@link ForecastTable}. */

import type { ForecastTable } from "../table/forecast-table.js";
import { COLUMN_KEYS, DEFAULT_INDEX, FORECAST_COLUMNS, mapHeader } from "./flat-columns.js";
import { NOT_AN_EXPORT } from "./damage.js";
import { FlatRowWriter } from "./flat-row-writer.js";

/** csv-parse options shared by the in-memory and streaming CSV readers. */
export const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  trim: true,
} as const;

/** Consumes CSV records (arrays of cells) as csv-parse emits them. */
export class CsvRecordSink {
  private writer: FlatRowWriter | undefined;
  private width: number = 0;
  private shortRows = 0;
  private lastWasShort = false;

  constructor(private readonly table: ForecastTable) {
    table.shape = "csv";
  }

  push(record: string[]): void {
    if (!this.writer) {
      const index = mapHeader(record);
      if (index) {
        this.writer = new FlatRowWriter(this.table, index);
        this.width = Math.max(...COLUMN_KEYS.map((k) => index[k])) + 1;
        return;
      }
      this.table.warn(NOT_AN_EXPORT.noHeader);
      this.writer = new FlatRowWriter(this.table, DEFAULT_INDEX);
      this.width = FORECAST_COLUMNS.length;
    }
    if (record.length < this.width) {
      this.shortRows++;
      this.lastWasShort = true;
      return;
    }
    this.lastWasShort = false;
    this.writer.write(record, 0);
  }

  /**
   * `truncated`: the parser stopped inside an unclosed quote at the end of the file.
   * `endsWithLineBreak`: the body's last byte ends a line (a short last row then is one as
   * written, not a row cut off mid-way).
   */
  end(truncated: boolean, endsWithLineBreak: boolean): void {
    if (truncated) {
      this.table.warn("The export file ended inside a quoted value (truncated?): the last, incomplete row was ignored.");
    }
    if (this.shortRows === 1 && this.lastWasShort && !endsWithLineBreak) {
      this.table.warn(NOT_AN_EXPORT.csvCutRow);
    } else if (this.shortRows > 0) {
      this.table.warn(`Ignored ${this.shortRows} row(s) with fewer columns than the header.`);
    }
    this.writer?.finish();
  }
}
