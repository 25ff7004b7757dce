/**
 * The life of one export request, shared by every job-creating tool and clari_wait_for_job:
 * answer from the store when an identical export is fresh; otherwise resume a job already queued
 * for the same request, or queue one; wait a bounded time with progress; on DONE download the file
 * into the store once; on cancellation cancel the Clari job so its quota is freed.
 * A job id, once known, is journalled before anything else can fail, so it is never lost.
 */
import { ClariApiError, ClariNetworkError, ClariResponseError } from "../../client/errors.js";
import { waitForJob, type JobKind, type WaitResult } from "../../client/jobs.js";
import type { ExportJob } from "../../client/schemas.js";
import { EXPORT_LIFETIME_MS, requestKey, type ExportKind, type StoredExport } from "../store/store.js";
import type { CallContext, Deps } from "../../deps.js";
import { JobFollowUpError, ToolInputError } from "../../tools/describe-error.js";

export interface ExportRequest {
  kind: ExportKind;
  /** The parameters that define "the same export" (used for reuse and de-duplication). */
  request: Record<string, unknown>;
  queue: (signal: AbortSignal) => Promise<{ jobId: string }>;
  waitSeconds: number;
  fresh: boolean;
}

export type ExportOutcome =
  | { outcome: "reused"; jobId: string; entry: StoredExport; ageMs: number }
  | { outcome: "done"; jobId: string; entry: StoredExport; wait: WaitResult; resumed: boolean }
  | { outcome: "running"; jobId: string; wait: WaitResult; resumed: boolean }
  | { outcome: "failed"; jobId: string; wait: WaitResult }
  | { outcome: "cancelled"; jobId: string; wait: WaitResult; cancelConfirmed: boolean };

/** Queue POSTs in flight, per store (one per credential) and request key: an identical request arriving meanwhile joins it. */
const queuingByStore = new WeakMap<object, Map<string, Promise<string>>>();

export async function runExport(req: ExportRequest, deps: Deps, call: CallContext): Promise<ExportOutcome> {
  const key = requestKey(req.kind, req.request);
  const freshness = deps.config.freshnessMinutes * 60_000;
  if (!req.fresh) {
    const stored = deps.store.findFresh(key, freshness);
    if (stored) return { outcome: "reused", jobId: stored.jobId, entry: stored, ageMs: Date.now() - stored.completedAt };
  }
  // A job already queued for the same request is resumed rather than queued again, unless the
  // caller wants a fresh export or that job is older than the freshness window.
  const journalled = req.fresh ? undefined : deps.store.findPending(key);
  if (journalled && Date.now() - journalled.queuedAt <= freshness) {
    return awaitExport(journalled.jobId, req.waitSeconds, deps, call, { resumed: true, ownsJob: false, since: journalled.queuedAt });
  }
  let queuing = queuingByStore.get(deps.store);
  if (!queuing) queuingByStore.set(deps.store, (queuing = new Map()));
  let joined = true;
  let queued = queuing.get(key);
  if (!queued) {
    joined = false;
    queued = queueAndJournal(req, key, deps).finally(() => queuing.delete(key));
    queuing.set(key, queued);
  }
  const jobId = await queued;
  return awaitExport(jobId, req.waitSeconds, deps, call, { resumed: joined, ownsJob: !joined, since: Date.now() });
}

/**
 * The POST runs without the call's AbortSignal: once sent, Clari may queue the job whatever
 * happens here, so its id must come back and be journalled. A cancelled call then cancels it.
 */
async function queueAndJournal(req: ExportRequest, key: string, deps: Deps): Promise<string> {
  const jobId = await queueJob(req, deps);
  // The journal is kept in memory first; a disk that refuses the write must not lose the jobId.
  await deps.store
    .recordPending({ jobId, kind: req.kind, requestKey: key, request: req.request, queuedAt: Date.now() })
    .catch((error: unknown) => deps.logger.warn(`could not journal job ${jobId} to disk: ${(error as Error).message}`));
  return jobId;
}

async function queueJob(req: ExportRequest, deps: Deps): Promise<string> {
  try {
    const { jobId } = await req.queue(AbortSignal.timeout(20_000));
    return jobId;
  } catch (error) {
    if (error instanceof ClariApiError && error.isQuotaError) throw await explainQuota(error, deps);
    if (error instanceof ClariNetworkError && error.mayHaveReachedServer) {
      throw new ClariNetworkError({
        kind: error.kind,
        operation: error.operation,
        mayHaveReachedServer: true,
        message: `${error.message} Clari may still have queued the export: check clari_list_export_jobs for it before asking again, so no quota is spent twice.`,
      });
    }
    throw error;
  }
}

/** Adds to a quota refusal which limit was hit, what remains and which jobs hold the slots. */
async function explainQuota(error: ClariApiError, deps: Deps): Promise<ClariApiError> {
  let detail = "";
  try {
    const limits = await deps.client.getLimits({ signal: AbortSignal.timeout(5000) });
    const monthlyLeft = limits.availableMonthlyQuota;
    const concurrentLeft = limits.availableConcurrentLimit;
    const which =
      monthlyLeft !== undefined && monthlyLeft <= 0
        ? "The monthly export quota is used up"
        : concurrentLeft !== undefined && concurrentLeft <= 0
          ? "The concurrent-job limit is reached"
          : "A Clari limit was reached";
    detail =
      `${which}: monthly quota ${monthlyLeft ?? "?"} of ${limits.monthlyQuota ?? "?"} left; ` +
      `concurrent slots ${concurrentLeft ?? "?"} of ${limits.concurrentLimit ?? "?"} free` +
      (limits.runningJobIds.length ? `; running jobs holding slots: ${limits.runningJobIds.join(", ")}` : "") +
      ". Wait for a running job to finish (clari_wait_for_job) or cancel one you no longer need (clari_cancel_export_job); a monthly quota refills over a rolling 30 days.";
  } catch {
    detail = "Could not read /admin/limits for details; try clari_get_limits.";
  }
  return new ClariApiError({
    status: error.status,
    code: error.code,
    family: error.family,
    errorId: error.errorId,
    operation: error.operation,
    message: `${error.message}\n${detail}`,
    hint: undefined,
  });
}

export interface AwaitOptions {
  /** The job was queued by someone else (an identical request, an earlier call or process). */
  resumed: boolean;
  /** This call queued the job, so cancelling the call cancels the job. Waiters never cancel. */
  ownsJob: boolean;
  /** When the job was queued (epoch ms): polling slows down for old jobs. */
  since: number;
}

/** Wait on a known export job; on DONE bring its file into the store. */
export async function awaitExport(jobId: string, waitSeconds: number, deps: Deps, call: CallContext, options: AwaitOptions): Promise<ExportOutcome> {
  let wait: WaitResult;
  try {
    wait = await waitWithProgress("export", jobId, waitSeconds, deps, call, options.since);
  } catch (error) {
    await forgetIfGone(jobId, error, deps);
    throw error;
  }
  if (wait.outcome === "aborted") {
    // A server shutting down aborts every call: the job stays journalled and resumes later.
    if (!options.ownsJob || call.isClosing()) return { outcome: "running", jobId, wait, resumed: options.resumed };
    const cancelConfirmed = await cancelQuietly(jobId, deps);
    await deps.store.clearPending(jobId);
    return { outcome: "cancelled", jobId, wait, cancelConfirmed };
  }
  if (wait.outcome === "timeout") return { outcome: "running", jobId, wait, resumed: options.resumed };
  if (wait.outcome === "failed") {
    await deps.store.clearPending(jobId);
    return { outcome: "failed", jobId, wait };
  }
  try {
    const entry = await downloadExport(jobId, wait.job as ExportJob, deps);
    return { outcome: "done", jobId, entry, wait, resumed: options.resumed };
  } catch (error) {
    if (await forgetIfGone(jobId, error, deps)) throw error;
    throw new JobFollowUpError(jobId, error);
  }
}

/** Clari no longer knows the job or its results (404, expired): drop it from the journal. */
async function forgetIfGone(jobId: string, error: unknown, deps: Deps): Promise<boolean> {
  const gone = error instanceof ClariApiError && error.status >= 400 && error.status < 500 && error.status !== 429;
  if (gone) await deps.store.clearPending(jobId);
  return gone;
}

/** A wait's outcome in the words tools report. */
export function reportedOutcome(wait: WaitResult): "done" | "running" | "cancelled" | "failed" {
  return wait.outcome === "done" ? "done" : wait.outcome === "timeout" ? "running" : wait.outcome === "aborted" ? "cancelled" : "failed";
}

export async function waitWithProgress(kind: JobKind, jobId: string, waitSeconds: number, deps: Deps, call: CallContext, since?: number): Promise<WaitResult> {
  return waitForJob(deps.client, kind, jobId, {
    timeoutMs: waitSeconds * 1000,
    signal: call.signal,
    jobAgeMs: since === undefined ? 0 : Math.max(0, Date.now() - since),
    onProgress: (p) => {
      const seconds = Math.round(p.elapsedMs / 1000);
      void call.progress({ progress: p.attempts, message: `Clari job ${jobId}: ${p.status} after ${seconds}s` });
    },
  });
}

async function cancelQuietly(jobId: string, deps: Deps): Promise<boolean> {
  try {
    const result = await deps.client.cancelExportJob(jobId, { signal: AbortSignal.timeout(5000) });
    deps.logger.info(`cancelled Clari job ${jobId} after the request was cancelled`);
    return result.successful !== false;
  } catch (error) {
    deps.logger.warn(`could not cancel Clari job ${jobId}: ${(error as Error).message}`);
    return false;
  }
}

const EXPORT_RUNNING = new Set(["SCHEDULED", "STARTED"]);
const KIND_BY_MODULE: Record<string, ExportKind> = { FORECAST: "forecast", AUDIT: "audit", ACTIVITY: "activity" };

/** Downloads in progress, per store and jobId: concurrent readers share one. */
const downloads = new WeakMap<object, Map<string, Promise<StoredExport>>>();

/** Download a DONE export's file into the store (once) and index it. */
export async function downloadExport(jobId: string, job: ExportJob | undefined, deps: Deps): Promise<StoredExport> {
  const existing = deps.store.get(jobId);
  if (existing) return existing;
  let inProgress = downloads.get(deps.store);
  if (!inProgress) downloads.set(deps.store, (inProgress = new Map()));
  let download = inProgress.get(jobId);
  if (!download) {
    // Shared by every reader, so no one caller's cancellation may stop it; timeouts bound it.
    download = fetchIntoStore(jobId, job, deps).finally(() => inProgress.delete(jobId));
    inProgress.set(jobId, download);
  }
  return download;
}

async function fetchIntoStore(jobId: string, job: ExportJob | undefined, deps: Deps): Promise<StoredExport> {
  const pending = deps.store.pending().find((p) => p.jobId === jobId);
  const info = job ?? (await deps.client.getExportJob(jobId));
  if (info.status !== "DONE") {
    const next = EXPORT_RUNNING.has(info.status) ? `wait for it with clari_wait_for_job {"jobId":"${jobId}"}` : "ask for the export again";
    throw new ToolInputError(`Export ${jobId} is ${info.status}; its results exist only once it is DONE: ${next}.`);
  }
  const kind: ExportKind = (pending?.kind as ExportKind | undefined) ?? KIND_BY_MODULE[String(info.module ?? "").toUpperCase()] ?? "forecast";
  const response = await deps.client.getExportResults(jobId);
  const csv = /csv/i.test(response.contentType) || /csv/i.test(String(info.fileType ?? ""));
  const completedAt = info.endTime ?? Date.now();
  const entry = await deps.store.save(
    {
      jobId,
      kind,
      requestKey: pending?.requestKey ?? `${kind}:job:${jobId}`,
      request: pending?.request ?? {},
      mimeType: csv ? "text/csv" : "application/json",
      completedAt,
      expiresAt: info.expiredTime ?? completedAt + EXPORT_LIFETIME_MS,
      title: info.title,
      clariFileName: info.fileName,
      rowsTruncated: info.rowsTruncated,
      cellsTruncated: info.cellsTruncated,
    },
    response.body,
  );
  const damage = await findDamage(entry, deps);
  if (damage) {
    deps.tables.forget(jobId);
    await deps.store.discard(jobId, pending);
    throw new ClariResponseError(
      "GET /export/jobs/{jobId}/results",
      200,
      `The download of export ${jobId} was damaged (${damage}) and was not kept. Ask again: the job is DONE, so fetching it again spends no quota.`,
    );
  }
  return entry;
}

/** A download cut short (a truncated body) must not be stored and reused for 30 days. */
async function findDamage(entry: StoredExport, deps: Deps): Promise<string | undefined> {
  try {
    if (entry.kind === "forecast") return (await deps.tables.get(entry.jobId)).warnings.find((w) => /truncated/i.test(w));
    JSON.parse((await deps.store.read(entry.jobId)).toString("utf8"));
    return undefined;
  } catch (error) {
    return (error as Error).message.slice(0, 200);
  }
}
