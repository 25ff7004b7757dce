/**
 * After a POST that ended without an answer (a timeout, a reset, a crash, a 5xx), Clari may or may
 * not have queued the export. Before anything could queue it again, Clari's own job list is asked:
 * a job of the same module, that no other request owns, whose file name does not contradict the
 * request (Clari names files after the tab and period), and that started at or after the intent.
 * "After" is judged on Clari's clock, learned from its Date headers (client/clock.ts), never by a
 * fixed window: another client on the same key (a nightly ETL exporting the same tab) may have
 * queued an identical job a few seconds before ours, and that job is never taken. Of the jobs
 * left, the one nearest after the intent is ours.
 */
import type { ClariClient } from "../../client/clari-client.js";
import type { ExportJob } from "../../client/schemas.js";
import type { ExportKind } from "../../state/index-file.js";
import type { ExportDeps } from "../context.js";
import { UnconfirmedQueueError } from "./errors.js";
import type { JournalRecord } from "./journal.js";
import { keptJobIds, recordJob } from "./kept.js";

export const MODULE_OF: Record<ExportKind, string> = { forecast: "FORECAST", audit: "AUDIT", activity: "ACTIVITY" };
export const KIND_OF_MODULE: Record<string, ExportKind> = { FORECAST: "forecast", AUDIT: "audit", ACTIVITY: "activity" };

/** With no Date header from Clari at all, its clock is taken to agree with ours to this much. */
const NO_DATE_HEADER_SLACK_MS = 1000;
/** How long the job-list search may take. */
const SEARCH_MS = 15_000;

export interface Reconciled {
  job: ExportJob | undefined;
  /** The job's start on our clock (for polling: how old the job is). */
  startedAt: number | undefined;
  /** What was looked at, in words for the answer and the log. */
  finding: string;
}

export async function findQueuedJob(client: ClariClient, record: JournalRecord, knownJobIds: ReadonlySet<string>, signal: AbortSignal): Promise<Reconciled> {
  const jobs = await client.listExportJobs({ signal });
  // Read after the list: its own answer's Date header counts.
  const offset = client.clock.offset();
  const low = offset?.low ?? -NO_DATE_HEADER_SLACK_MS;
  // The intent on Clari's clock, as early as the Date headers allow (their 1 s resolution included).
  const from = record.intentAt + low;
  const module = MODULE_OF[record.kind];
  const ofModule = jobs.filter((job) => String(job.module ?? "").toUpperCase() === module).filter((job) => !knownJobIds.has(job.jobId) && fileNameFits(job, record));
  const before = ofModule.filter((job) => job.startTime !== undefined && job.startTime < from).length;
  const untimed = ofModule.filter((job) => job.startTime === undefined).length;
  const candidates = ofModule.filter((job) => job.startTime !== undefined && job.startTime >= from).sort((a, b) => a.startTime! - b.startTime!);
  const sent = new Date(record.intentAt).toISOString();
  const clock = offset ? `Clari's clock is ${describeOffset(offset.low, offset.high)} ours` : "Clari sent no Date header, so its clock was taken to agree with ours";
  const passed = [before ? `${before} identical-looking job(s) started before it, not taken` : "", untimed ? `${untimed} with no start time, not taken` : ""].filter(Boolean).join("; ");
  const aside = passed ? ` (${passed})` : "";
  if (!candidates.length) return { job: undefined, startedAt: undefined, finding: `Clari's job list (${jobs.length} jobs) holds no ${module} job started since the request was sent at ${sent}${aside}; ${clock}` };
  const job = candidates[0]!;
  const others = candidates.length > 1 ? `; ${candidates.length - 1} later candidate(s) not taken` : "";
  const startedAt = job.startTime! - (offset ? (offset.low + offset.high) / 2 : 0);
  return { job, startedAt, finding: `Clari's job list shows job ${job.jobId} (${job.status}), the ${module} job started nearest after the request was sent at ${sent}${aside}${others}; ${clock}` };
}

function describeOffset(low: number, high: number): string {
  const mid = (low + high) / 2;
  const within = Math.max(1, Math.round((high - low) / 2000));
  const seconds = Math.round(Math.abs(mid) / 1000);
  if (seconds < within) return `within ${within}s of`;
  return `${seconds}s (give or take ${within}s) ${mid > 0 ? "ahead of" : "behind"}`;
}

/**
 * An intent whose POST got no answer, or whose sender died: look for its job on Clari's list.
 * Returns the jobId found (now recorded, or kept and retried when the journal refuses); undefined
 * when the intent was taken over for a new POST (the grace has passed with no job shown); throws
 * an UnconfirmedQueueError while the grace is still running.
 */
export async function reconcileIntent(record: JournalRecord, deps: ExportDeps, notes: string[]): Promise<string | undefined> {
  const known = new Set<string>(keptJobIds(deps));
  for (const other of await deps.journal.all()) if (other.jobId) known.add(other.jobId);
  for (const entry of deps.store.list()) known.add(entry.jobId);
  const found = await findQueuedJob(deps.client, record, known, AbortSignal.timeout(SEARCH_MS));
  deps.logger.info(`reconciling an unanswered export request: ${found.finding}`);
  if (found.job) {
    const adopted = { ...record, state: "queued" as const, jobId: found.job.jobId, queuedAt: found.startedAt ?? record.intentAt, unconfirmed: undefined };
    const jobId = await recordJob(deps, adopted, notes, { settleDamaged: true });
    if (jobId === found.job.jobId) notes.unshift(`${found.finding}: taken as this request's job, so nothing was queued again.`);
    return jobId;
  }
  return deps.store.lock.run(async () => {
    const now = await deps.journal.get(record.requestKey);
    if (now && now.state === "queued" && now.jobId) return now.jobId; // settled meanwhile by another caller
    await deps.journal.settleDamaged(record.requestKey);
    const retryAt = record.intentAt + deps.config.intentGraceSeconds * 1000;
    if (Date.now() < retryAt) {
      throw new UnconfirmedQueueError(
        `An identical export request sent at ${new Date(record.intentAt).toISOString()} got no answer from Clari, and ${found.finding}. ` +
          `Nothing was queued again; ask again after ${new Date(retryAt).toISOString()} and, if Clari still shows no job, a new one is queued.`,
        retryAt,
      );
    }
    notes.push(`${found.finding}, ${deps.config.intentGraceSeconds}s after an unanswered request: it never reached Clari, so the export is queued now.`);
    await deps.journal.remove(record.requestKey);
    // It queued nothing: the budget unit it took goes back (the new POST spends its own).
    const paid = now?.budget ?? record.budget;
    if (paid) await deps.journal.giveBack(paid).catch((error: unknown) => deps.logger.warn(`could not give back an export budget unit: ${(error as Error).message}`));
    return undefined;
  });
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
