/**
 * After a POST that ended without an answer (a timeout, a reset, a crash, a 5xx), Clari may or may
 * not have queued the export. Before anything could queue it again, Clari's own job list is asked:
 * a job of the same module, started since the intent, that no other journalled request owns, and
 * whose file name does not contradict the request (Clari names files after the tab and period).
 */
import type { ClariClient } from "../../client/clari-client.js";
import type { ExportJob } from "../../client/schemas.js";
import type { ExportKind } from "../../state/index-file.js";
import type { JournalRecord } from "./journal.js";

export const MODULE_OF: Record<ExportKind, string> = { forecast: "FORECAST", audit: "AUDIT", activity: "ACTIVITY" };
export const KIND_OF_MODULE: Record<string, ExportKind> = { FORECAST: "forecast", AUDIT: "audit", ACTIVITY: "activity" };

/** Clari's clock and ours may differ a little; a job started this long before the intent still counts. */
const CLOCK_SLACK_MS = 60_000;

export interface Reconciled {
  job: ExportJob | undefined;
  /** What was looked at, in words for the answer and the log. */
  finding: string;
}

export async function findQueuedJob(client: ClariClient, record: JournalRecord, knownJobIds: ReadonlySet<string>, signal: AbortSignal): Promise<Reconciled> {
  const jobs = await client.listExportJobs({ signal });
  const module = MODULE_OF[record.kind];
  const candidates = jobs
    .filter((job) => String(job.module ?? "").toUpperCase() === module)
    .filter((job) => !knownJobIds.has(job.jobId))
    .filter((job) => job.startTime === undefined || job.startTime >= record.intentAt - CLOCK_SLACK_MS)
    .filter((job) => fileNameFits(job, record))
    .sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0));
  const sent = new Date(record.intentAt).toISOString();
  if (!candidates.length) return { job: undefined, finding: `Clari's job list (${jobs.length} jobs) holds no ${module} job started since the request was sent at ${sent}` };
  const job = candidates[0]!;
  const others = candidates.length > 1 ? ` (${candidates.length - 1} more candidates, not taken)` : "";
  return { job, finding: `Clari's job list shows job ${job.jobId} (${job.status}), a ${module} job started after the request was sent at ${sent}${others}` };
}

/** A forecast file is named clari_export_forecast_<forecastId>_<period>_...: a different tab or period rules a job out. */
function fileNameFits(job: ExportJob, record: JournalRecord): boolean {
  if (record.kind !== "forecast" || !job.fileName) return true;
  const name = job.fileName.toLowerCase();
  const { forecastId, timePeriod } = record.request;
  if (typeof forecastId === "string" && name.startsWith("clari_export_forecast_") && !name.includes(forecastId.toLowerCase())) return false;
  if (typeof timePeriod === "string" && /_\d{4}_q\d_/.test(name) && !name.includes(`_${timePeriod.toLowerCase()}_`)) return false;
  return true;
}
