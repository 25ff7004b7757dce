/**
 * What a generation holds that decides whether a query's sources need tracing at all: its forecast
 * exports (tab, period, currency, when taken, latest and hygiene weeks) and how many tabs and
 * periods the CRM totals hold. Read once per generation (a generation never changes) on the
 * query worker's reader.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSettling } from "../../read/weeks.js";

/** A forecast export a traced row came from: when it was taken and its latest and hygiene weeks. */
export interface ExportFacts {
  exportId: string;
  forecastId: string | null;
  timePeriod: string | null;
  currency: string | null;
  finishedAt: string | null;
  latestWeek: number | null;
  latestWeekStart: string | null;
  hygieneWeek: number | null;
  hygieneWeekStart: string | null;
  /** Its rows are in forecast (the newest of its tab, period and currency). */
  current: boolean;
  /** The typesToExport it was asked with (empty when not known). */
  types: string[];
  /** The scope it was exported for (a manager's subtree), or null for the whole company. */
  scopeId: string | null;
}

export interface GenerationFacts {
  exports: ExportFacts[];
  /** Distinct (tab, period, currency) in crm_totals. */
  crmCombos: number;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export async function generationFacts(con: DuckDBConnection): Promise<GenerationFacts> {
  const reader = await con.runAndReadAll(`
    SELECT e.export_id, e.forecast_id, e.time_period, e.currency, strftime(e.finished_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
      max(w.week) FILTER (WHERE w.is_latest), (max(s.week_start) FILTER (WHERE w.is_latest))::VARCHAR,
      max(w.week) FILTER (WHERE w.for_hygiene), (max(s.week_start) FILTER (WHERE w.for_hygiene))::VARCHAR,
      bool_or(n.export_no IS NOT NULL), array_to_string(any_value(x.types), ','), nullif(any_value(x.scope_id), '')
    FROM raw.forecast_exports e LEFT JOIN raw.forecast_newest n ON n.export_no = e.export_no
    LEFT JOIN raw.exports x ON x.export_id = e.export_id
    LEFT JOIN raw.forecast_weeks w ON w.export_no = e.export_no
    LEFT JOIN raw.forecast_spans s ON s.export_no = w.export_no AND s.code = w.span
    GROUP BY e.export_no, e.export_id, e.forecast_id, e.time_period, e.currency, e.finished_at ORDER BY e.export_no`);
  const exports = reader.getRows().map(([exportId, forecastId, timePeriod, currency, finishedAt, latestWeek, latestWeekStart, hygieneWeek, hygieneWeekStart, current, types, scopeId]) => ({
    exportId: String(exportId),
    forecastId: str(forecastId),
    timePeriod: str(timePeriod),
    currency: str(currency),
    finishedAt: str(finishedAt),
    latestWeek: latestWeek === null ? null : Number(latestWeek),
    latestWeekStart: str(latestWeekStart),
    hygieneWeek: hygieneWeek === null ? null : Number(hygieneWeek),
    hygieneWeekStart: str(hygieneWeekStart),
    current: current === true,
    types: typeof types === "string" && types !== "" ? types.split(",") : [],
    scopeId: str(scopeId),
  }));
  const crm = await con.runAndReadAll("SELECT count(*) FROM (SELECT DISTINCT forecast_id, time_period, currency FROM raw.crm_rows)");
  return { exports, crmCombos: Number(crm.getRows()[0]?.[0] ?? 0) };
}

/** The export's latest week began less than two days before it was taken. */
export function settles(e: ExportFacts): boolean {
  return e.latestWeekStart !== null && e.finishedAt !== null && isSettling(e.latestWeekStart, Date.parse(e.finishedAt));
}

/**
 * Nothing a trace could find would be worth a warning: at most one forecast export and one set of
 * CRM totals (so no result can mix two), and no latest week still settling.
 */
export function traceNeeded(facts: GenerationFacts): boolean {
  return facts.exports.length + Math.min(1, facts.crmCombos) > 1 || facts.crmCombos > 1 || facts.exports.some(settles);
}
