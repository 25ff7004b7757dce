/** The bounded summary of a stored export, by kind. */
import { summariseEvents, type AuditFilter } from "./summarise-events.js";
import { summariseForecast } from "./summarise-forecast.js";
import type { StoredExport } from "../store/store.js";
import type { ExportDeps } from "../context.js";
import type { Summarised } from "./summarised.js";
import { forecastSummaryLines } from "./forecast-summary-lines.js";

/** `filter`: audit exports only, applied to the summary (the stored file and the query tables keep every event). */
export async function summariseStored(entry: StoredExport, deps: ExportDeps, filter: AuditFilter = {}): Promise<Summarised> {
  if (entry.kind === "forecast") {
    // Kept per export, so the rows need not stay in memory once the query engine holds them.
    const kept = deps.tables.summary<Summarised>(entry.jobId);
    if (kept) return kept;
    const table = await deps.tables.get(entry.jobId);
    const requested = typeof entry.request.timePeriod === "string" ? entry.request.timePeriod : undefined;
    const summary = summariseForecast(table, {
      requestedTimePeriod: requested,
      job: { rowsTruncated: entry.rowsTruncated, cellsTruncated: entry.cellsTruncated },
      takenAt: entry.completedAt,
      source: `export ${entry.jobId}`,
    });
    const summarised = forecastSummaryLines(summary, table);
    deps.tables.rememberSummary(entry.jobId, summarised);
    return summarised;
  }
  const json = JSON.parse((await deps.store.read(entry.jobId)).toString("utf8")) as unknown;
  return summariseEvents(entry.kind, json, entry.kind === "audit" ? filter : {});
}

export const KIND_LABEL: Record<StoredExport["kind"], string> = {
  forecast: "Forecast export",
  audit: "Audit export",
  activity: "Activity export",
};
