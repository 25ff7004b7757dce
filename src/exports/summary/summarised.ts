import type { ExportSummary } from "./summary-schemas.js";

/** A stored export described for an answer: a few lines, the same facts as data, and warnings. */
export interface Summarised<S extends ExportSummary = ExportSummary> {
  lines: string[];
  summary: S;
  warnings?: string[];
  /** Forecast summaries: the week their numbers are for ("week 9 of 2026_Q4, starting 2026-11-23"). */
  context?: { forecastWeek?: string };
}
