/**
 * Bringing a DONE export's file into the store, once, bounded in bytes and in time. One download
 * per job is shared by everyone who wants it; when its last caller has gone (cancelled, or its
 * wait ran out) it stops, so a body that drips forever holds nothing once nobody waits for it.
 * Secrets an upstream echoed are scrubbed before a byte reaches the disk, and a file cut short
 * is never kept.
 */
import { Transform, type Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { ClariResponseError, type ClariApiError } from "../../client/errors.js";
import { redactDeep } from "../../security/redact-deep.js";
import { createRedactingTransform } from "../../security/redact-stream.js";
import type { ExportJob } from "../../client/schemas.js";
import type { ExportDeps } from "../context.js";
import type { Damage } from "../read/damage.js";
import { EXPORT_LIFETIME_MS, type ExportKind, type StoredExport } from "../store/store.js";
import { DownloadTooLargeError, ExportJobError, isResultsGone } from "./errors.js";
import { forget } from "./forget.js";
import { parseAlong } from "./parse-along.js";
import { KIND_OF_MODULE } from "./reconcile.js";

const RUNNING = new Set(["SCHEDULED", "STARTED"]);

interface SharedDownload {
  result: Promise<StoredExport>;
  controller: AbortController;
  waiters: number;
}

/** Downloads in progress, per store and jobId. */
const downloads = new WeakMap<object, Map<string, SharedDownload>>();

export interface DownloadOptions {
  /** The caller's cancellation: when every caller has cancelled, the download stops. */
  signal?: AbortSignal | undefined;
  /** The caller stops waiting at this time (epoch ms); the download may go on a little longer. */
  until?: number | undefined;
}

/** Resolves with the stored entry, or undefined when the caller's `until` came first (the download goes on). */
export async function downloadExport(jobId: string, job: ExportJob | undefined, deps: ExportDeps, options: DownloadOptions = {}): Promise<StoredExport | undefined> {
  await deps.store.sync();
  const existing = deps.store.get(jobId);
  if (existing) return existing;
  let inProgress = downloads.get(deps.store);
  if (!inProgress) downloads.set(deps.store, (inProgress = new Map()));
  let shared = inProgress.get(jobId);
  if (!shared) {
    const controller = new AbortController();
    const map = inProgress;
    const created: SharedDownload = {
      controller,
      waiters: 0,
      result: fetchIntoStore(jobId, job, deps, AbortSignal.any([controller.signal, AbortSignal.timeout(deps.config.downloadTimeoutSeconds * 1000)]))
        .catch(async (error: unknown) => {
          // A job that can never be downloaded leaves the journal, whichever tool or resource asked: the next ask queues a new one.
          if (error instanceof ExportJobError && error.next === "new-export") await forget(deps, jobId, undefined);
          throw error;
        })
        .finally(() => map.delete(jobId)),
    };
    created.result.catch(() => undefined);
    inProgress.set(jobId, created);
    shared = created;
  }
  return attach(shared, options);
}

/** Wait on a shared download as one of its callers. */
async function attach(shared: SharedDownload, options: DownloadOptions): Promise<StoredExport | undefined> {
  shared.waiters += 1;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let leftBy: "cancel" | "time" | undefined;
  try {
    const stop = new Promise<void>((resolve) => {
      onAbort = () => {
        leftBy = "cancel";
        resolve();
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.until !== undefined) {
        timer = setTimeout(() => {
          leftBy = "time";
          resolve();
        }, Math.max(0, options.until - Date.now()));
      }
    });
    return await Promise.race([shared.result, stop.then(() => undefined)]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    shared.waiters -= 1;
    if (shared.waiters === 0 && leftBy) shared.controller.abort(new Error(leftBy === "cancel" ? "every caller cancelled" : "its last caller stopped waiting"));
  }
}

async function fetchIntoStore(jobId: string, job: ExportJob | undefined, deps: ExportDeps, signal: AbortSignal): Promise<StoredExport> {
  const record = await deps.journal.findJob(jobId);
  const info = job ?? (await deps.client.getExportJob(jobId, { signal }));
  if (info.status !== "DONE") {
    if (RUNNING.has(info.status)) throw new ExportJobError(jobId, `Export ${jobId} is ${info.status}; its results exist only once it is DONE.`, "wait");
    throw new ExportJobError(jobId, `Export ${jobId} ended ${info.status}; it has no results.`, "new-export");
  }
  if (info.expiredTime !== undefined && info.expiredTime <= Date.now()) {
    throw new ExportJobError(jobId, `Export ${jobId} expired on ${new Date(info.expiredTime).toISOString()}: Clari keeps results 30 days after a job ends.`, "new-export");
  }
  const kind: ExportKind = record?.kind ?? KIND_OF_MODULE[String(info.module ?? "").toUpperCase()] ?? "forecast";
  const started = Date.now();
  const response = await resultsOf(jobId, deps, signal);
  const limit = deps.config.maxDownloadMb * 1024 * 1024;
  const declared = response.contentLength ?? 0;
  if (declared > limit) {
    response.body.destroy();
    throw new ExportJobError(jobId, `Export ${jobId} is ${declared} bytes, ${new DownloadTooLargeError(limit).message}; it was not downloaded.`, "ask-again");
  }
  const csv = /csv/i.test(response.contentType) || /csv/i.test(String(info.fileType ?? ""));
  const completedAt = info.endTime ?? Date.now();
  // A forecast is normalised as it streams in (after the scrub), so nothing reads the file back.
  const parsing = kind === "forecast" ? await parseAlong(jobId, deps, response.contentLength) : undefined;
  // Any other export is checked whole (it is read whole as JSON anyway), from a copy of its bytes.
  const copy: Buffer[] | undefined = parsing ? undefined : [];
  let damage: Damage | undefined;
  let checkStored = false;
  let verifiedAt = 0;
  // Checked before the file is published: a damaged download is never listed, not even for the
  // moment a process killed then would leave it to the next as whole. (A parse thread that died
  // leaves the check to after the store, where its bytes are.)
  const verify = async (): Promise<void> => {
    // The chunks are let go as they are joined: one copy of the bytes at a time, as when it was read back.
    const found = parsing ? await parsing.finish() : damageIn(Buffer.concat((copy as Buffer[]).splice(0)));
    verifiedAt = Date.now();
    checkStored = found === "after-store";
    damage = found === "after-store" ? undefined : found;
    if (damage) throw new DamagedDownload();
  };
  let entry: StoredExport;
  try {
    entry = await deps.store.save(
      {
        jobId,
        kind,
        requestKey: record?.requestKey ?? `${kind}:job:${jobId}`,
        request: record?.request ?? {},
        mimeType: csv ? "text/csv" : "application/json",
        completedAt,
        expiresAt: info.expiredTime ?? completedAt + EXPORT_LIFETIME_MS,
        // Scrubbed as the whole job, so a key split across its fields is caught before the index keeps any part.
        ...optional(pickJobFacts(redactDeep(info))),
      },
      chain(response.body, boundedTo(limit), createRedactingTransform(), parsing ? parsing.tap : copyInto(copy as Buffer[])),
      signal,
      verify,
    );
  } catch (error) {
    response.body.destroy();
    parsing?.fail(error);
    // Nothing of it was kept; a table its parse made goes too.
    deps.tables.forget(jobId);
    if (error instanceof DamagedDownload && damage) throw damagedError(jobId, damage, deps);
    const tooManyRows = tooManyRowsRefusal(jobId, error);
    if (tooManyRows) throw tooManyRows;
    if (error instanceof DownloadTooLargeError || (error as { cause?: unknown }).cause instanceof DownloadTooLargeError) {
      throw new ExportJobError(jobId, `Export ${jobId} is ${new DownloadTooLargeError(limit).message}; nothing of it was kept.`, "ask-again");
    }
    if (signal.aborted) throw new ExportJobError(jobId, `The download of export ${jobId} stopped: ${String((signal.reason as Error)?.message ?? signal.reason)}. The job is DONE; fetching it again spends no quota.`, "ask-again", error);
    throw error;
  }
  deps.logger.debug(`export ${jobId}: ${entry.bytes} bytes downloaded and checked in ${verifiedAt - started} ms, stored ${Date.now() - verifiedAt} ms after`);
  parsing?.published();
  if (checkStored && parsing) {
    const discard = async (): Promise<void> => {
      deps.tables.forget(jobId);
      await deps.store.discard(jobId);
    };
    const found = await parsing.checkStored().catch(async (error: unknown) => {
      await discard();
      throw tooManyRowsRefusal(jobId, error) ?? error;
    });
    if (found) {
      await discard();
      throw damagedError(jobId, found, deps);
    }
  }
  noExports.get(deps.store)?.delete(jobId);
  return entry;
}

/** The error for a damaged download (nothing of it kept); the second answer of no export at all gives the job up. */
function damagedError(jobId: string, damage: Damage, deps: ExportDeps): Error {
  if (damage.notAnExport && noExportAgain(deps, jobId)) {
    return new ExportJobError(
      jobId,
      `Clari answered the results of export ${jobId} twice with no export at all (${damage.why}); nothing was kept, and the job was taken out of the journal. Ask again to queue a new export (this spends quota).`,
      "new-export",
    );
  }
  return new ClariResponseError(
    "GET /export/jobs/{jobId}/results",
    200,
    `The download of export ${jobId} was damaged (${damage.why}) and was not kept. Ask again: the job is DONE, so fetching it again spends no quota.`,
  );
}

/** Jobs whose results came back as no export at all, per store: the second time, the job is given up. */
const noExports = new WeakMap<object, Map<string, number>>();

/** Counts one more answer of no export for the job; true from the second on. */
function noExportAgain(deps: ExportDeps, jobId: string): boolean {
  let counts = noExports.get(deps.store);
  if (!counts) noExports.set(deps.store, (counts = new Map()));
  const count = (counts.get(jobId) ?? 0) + 1;
  if (count >= 2) counts.delete(jobId);
  else counts.set(jobId, count);
  return count >= 2;
}

/** A wait before asking a second time for results Clari said are gone: its job table may be catching up. */
const GONE_RECHECK_MS = 1000;

/**
 * The results response. Results Clari says are gone (the job unknown, or 410) after it said DONE
 * are asked for once more; gone twice, the job can never be fetched, and only a new export helps
 * (downloadExport takes it out of the journal, so the next ask queues one).
 */
async function resultsOf(jobId: string, deps: ExportDeps, signal: AbortSignal) {
  try {
    return await deps.client.getExportResults(jobId, { signal });
  } catch (error) {
    if (!isResultsGone(error)) throw error;
    await delay(GONE_RECHECK_MS, undefined, { signal }).catch(() => {
      throw new ExportJobError(jobId, `The download of export ${jobId} stopped: ${String((signal.reason as Error)?.message ?? signal.reason)}. Ask again: the job is DONE.`, "ask-again");
    });
    try {
      return await deps.client.getExportResults(jobId, { signal });
    } catch (again) {
      if (!isResultsGone(again)) throw again;
      const status = (again as ClariApiError).status;
      throw new ExportJobError(jobId, `Clari said export ${jobId} is DONE, but its results are gone (HTTP ${status}, twice): it can never be downloaded, so it was taken out of the journal. Ask again to queue a new export (this spends quota).`, "new-export", again);
    }
  }
}

/** The refusal of an export whose rows passed the memory cap (found during the download or at its end), if that is what `error` is. */
function tooManyRowsRefusal(jobId: string, error: unknown): ExportJobError | undefined {
  const tooManyRows = [error, (error as { cause?: unknown } | undefined)?.cause].find((e) => (e as Error | undefined)?.name === "ForecastTooLargeError") as Error | undefined;
  return tooManyRows ? new ExportJobError(jobId, `Export ${jobId} was not kept: ${tooManyRows.message}.`, "new-export") : undefined;
}

/** Passes bytes through until more than `limit` have come, then fails the stream. */
function boundedTo(limit: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total > limit) done(new DownloadTooLargeError(limit));
      else done(null, chunk);
    },
  });
}

/** source | a | b ..., with an error anywhere failing the last stream (which the store reads). */
function chain(source: Readable, ...steps: Transform[]): Readable {
  let previous: Readable = source;
  for (const step of steps) {
    previous.on("error", (error) => step.destroy(error));
    previous = previous.pipe(step);
  }
  return previous;
}

function pickJobFacts(job: ExportJob) {
  return { title: job.title, clariFileName: job.fileName, rowsTruncated: job.rowsTruncated, cellsTruncated: job.cellsTruncated };
}

function optional<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What is wrong with an export that is not a forecast (a body cut short must not be kept and reused for 30 days): it must be JSON. */
function damageIn(bytes: Buffer): Damage | undefined {
  try {
    JSON.parse(bytes.toString("utf8"));
    return undefined;
  } catch (error) {
    return { why: (error as Error).message.slice(0, 200), notAnExport: false };
  }
}

/** Thrown by a download's check to keep it from being published (its damage is reported after). */
class DamagedDownload extends Error {}

/** Passes bytes through, keeping a copy of each chunk in `chunks`. */
function copyInto(chunks: Buffer[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done(null, chunk);
    },
  });
}

/** A stored export, downloaded first when needed: for the resources and tools that read one. */
export async function storedExport(jobId: string, deps: ExportDeps, signal?: AbortSignal): Promise<StoredExport> {
  const entry = await downloadExport(jobId, undefined, deps, { signal });
  if (!entry) throw new ExportJobError(jobId, `The download of export ${jobId} was cancelled.`, "ask-again");
  return entry;
}
