/**
 * Reads that cost no export quota but are kept for questions (see exports/store/observations.ts):
 * an audit page, an opportunity lookup, the synchronous forecast read. Keeping them must never
 * fail the read itself. The readers load on first use (not at start-up).
 */
import type { AuditFilters, ForecastReadParams } from "../../client/clari-client.js";
import type { AuditPage, Opportunity } from "../../client/schemas.js";
import type { ExportDeps } from "../context.js";
import type { AuditRow } from "../read/normalise-audit.js";
import { forecastSummaryLines } from "../summary/forecast-summary-lines.js";
import type { Summarised } from "../summary/summarised.js";
import { summariseForecast } from "../summary/summarise-forecast.js";
import type { ForecastSummary } from "../summary/summary-schemas.js";

type ObservingDeps = Pick<ExportDeps, "client" | "observations" | "query" | "logger">;

export async function readAuditPage(deps: ObservingDeps, args: AuditFilters & { limit?: number | undefined; nextLink?: string | undefined }, signal: AbortSignal): Promise<AuditPage> {
  const page = await deps.client.listAuditEvents(args, { signal });
  await deps.observations.recordAuditPage(page).catch((error: unknown) => deps.logger.warn(`could not keep the audit page: ${(error as Error).message}`));
  deps.query.observationsChanged();
  return page;
}

/** One page of audit events as rows, and the link to the next page when there is one. */
export async function readAuditEvents(deps: ObservingDeps, args: AuditFilters & { limit?: number | undefined; nextLink?: string | undefined }, signal: AbortSignal): Promise<{ events: AuditRow[]; nextLink: string | undefined }> {
  const page = await readAuditPage(deps, args, signal);
  const { normaliseAudit } = await import("../read/normalise-audit.js");
  return { events: normaliseAudit(page), nextLink: page.nextLink ?? undefined };
}

export async function lookUpOpportunities(deps: ObservingDeps, oppIds: string[], mode: string | undefined, signal: AbortSignal): Promise<Opportunity[]> {
  const opportunities = await deps.client.getOpportunities(oppIds, mode, { signal });
  await deps.observations.recordOpportunities(opportunities).catch((error: unknown) => deps.logger.warn(`could not keep the opportunity lookup: ${(error as Error).message}`));
  deps.query.observationsChanged();
  return opportunities;
}

/** The synchronous current-week forecast read, summarised like an export. */
export async function readCurrentForecast(deps: Pick<ExportDeps, "client">, forecastId: string, params: ForecastReadParams, signal: AbortSignal): Promise<Summarised<ForecastSummary>> {
  const data = await deps.client.getForecast(forecastId, params, { signal });
  const { normaliseForecast } = await import("../read/normalise-forecast.js");
  const table = normaliseForecast(JSON.stringify(data ?? {}));
  return forecastSummaryLines(summariseForecast(table, { requestedTimePeriod: params.timePeriod }), table);
}
