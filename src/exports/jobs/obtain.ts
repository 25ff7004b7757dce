/**
 * The export life cycle's one front door, shared by every export tool, clari_wait_for_job and the
 * resources: reuse a fresh identical export from the store; else resume the job already journalled
 * for the same request; else journal an intent, POST, and journal the jobId; wait a bounded time
 * with progress; on DONE download the file into the store once.
 * Every decision is taken under the store's lock after re-reading the journal and the index, so
 * processes sharing a folder never both queue. No POST leaves unless its intent is recorded (a
 * refused write answers "nothing was queued"); a jobId Clari returned is never dropped (kept.ts);
 * a POST that ends without an answer is reconciled with Clari's job list before the same request
 * could ever be queued again. Only a confirmed end (DONE and stored, FAILED, CANCELLED, expired,
 * or "not found" twice) takes a job out of the journal.
 */
import { ClariApiError, ClariConfigError, ClariNetworkError } from "../../client/errors.js";
import { waitForJob, type JobKind, type WaitResult } from "../../client/jobs.js";
import type { ExportJob } from "../../client/schemas.js";
import type { CallContext, ExportDeps } from "../context.js";
import type { ExportKind, StoredExport } from "../store/store.js";
import { downloadExport } from "./download.js";
import { budgetExhausted, spendOf } from "./budget.js";
import { BudgetExhaustedError, ExportJobError, faultText, isJobNotFound, NotQueuedError, UnconfirmedQueueError } from "./errors.js";
import { isAlive, queuedByCaller, SELF, type JournalRecord } from "./journal.js";
import { forget } from "./forget.js";
import { keptJob, notRecorded, recordJob } from "./kept.js";
import { reconcileIntent } from "./reconcile.js";
import { canonical, requestKey } from "./request-key.js";
import { allWaiters, joinWaiters, otherWaiters } from "./waiters.js";

export interface ExportRequest {
  kind: ExportKind;
  /** The parameters that define "the same export" (made canonical here). */
  request: Record<string, unknown>;
  queue: (signal: AbortSignal) => Promise<{ jobId: string }>;
  waitSeconds: number;
  /** Never reuse a finished export (a running identical job is still joined). */
  fresh: boolean;
}

interface Told {
  /** Things the caller should know: a job found by reconciling, a journal write that failed. */
  notes: string[];
}
export type ExportOutcome = Told &
  (
    | { outcome: "reused"; jobId: string; entry: StoredExport; ageMs: number }
    | { outcome: "done"; jobId: string; entry: StoredExport; wait: WaitResult; resumed: boolean }
    | { outcome: "running"; jobId: string; wait: WaitResult; resumed: boolean; downloading?: boolean }
    | { outcome: "failed"; jobId: string; wait: WaitResult }
    | { outcome: "cancelled"; jobId: string; wait: WaitResult; cancelConfirmed: boolean; othersWaiting: number; queuedByAnother?: boolean }
  );

/** Queue POSTs in flight in this process, per store and request key: an identical request joins it. */
const posting = new WeakMap<object, Map<string, Promise<string>>>();
/** How far back, before a damaged journal record was last written, its job may have been queued. */
const DAMAGED_RECORD_WINDOW_MS = 60 * 60_000;
/** A DONE job's file is given at least this long, even when the wait ran out as it finished. */
const DOWNLOAD_GRACE_MS = 3000;
/** How often a caller looks again while another process is sending the same POST. */
const WATCH_MS = 200;
/** What to do about a request that could not be recorded. */
const CURE = "Free space where this server keeps its state (the cache folder, or the state database's disk) or bring the state database back, then ask again; nothing was spent.";

export async function obtainExport(req: ExportRequest, deps: ExportDeps, call: CallContext): Promise<ExportOutcome> {
  const request = canonical(req.request) as Record<string, unknown>;
  const key = requestKey(req.kind, request);
  const until = Date.now() + req.waitSeconds * 1000;
  const notes: string[] = [];
  let inFlight = posting.get(deps.store);
  if (!inFlight) posting.set(deps.store, (inFlight = new Map()));

  for (;;) {
    const joined = inFlight.get(key);
    if (joined) {
      const jobId = await joined;
      if (keptJob(deps, key)?.jobId === jobId) notes.push(notRecorded(jobId, "the journal refused the write"));
      return waitOn(jobId, { key, resumed: true, mayCancel: true, since: Date.now(), until, notes }, deps, call);
    }
    // A job this process holds for the request that the journal could not take yet.
    const kept = keptJob(deps, key);
    if (kept?.jobId) {
      notes.push(notRecorded(kept.jobId, "the journal refused the write"));
      return waitOn(kept.jobId, { key, resumed: true, mayCancel: true, since: kept.queuedAt ?? kept.intentAt, until, notes }, deps, call);
    }
    const step = await deps.store.lock.run(() => decide(req, key, request, deps, notes, call)).catch((error: unknown) => {
      if (error instanceof NotQueuedError || error instanceof BudgetExhaustedError) throw error;
      throw new NotQueuedError(`Could not record the request, nothing was queued: ${faultText(error)}. ${CURE}`, error);
    });
    if (step.kind === "reuse") return { outcome: "reused", jobId: step.entry.jobId, entry: step.entry, ageMs: Date.now() - step.entry.completedAt, notes };
    if (step.kind === "resume") return waitOn(step.record.jobId!, { key, resumed: true, mayCancel: true, since: step.record.queuedAt ?? step.record.intentAt, until, notes }, deps, call);
    if (step.kind === "queue") {
      const post = postAndJournal(req, step.intent, deps, notes, call).finally(() => inFlight.delete(key));
      inFlight.set(key, post);
      return waitOn(await post, { key, resumed: false, mayCancel: true, since: Date.now(), until, notes }, deps, call);
    }
    if (step.kind === "reconcile") {
      const jobId = await reconcileIntent(step.record, deps, notes).catch((error: unknown) => {
        if (error instanceof UnconfirmedQueueError) throw error;
        throw new NotQueuedError(`An identical request sent earlier got no answer, and looking for its job failed (${faultText(error)}); nothing was queued. Ask again shortly.`, error);
      });
      if (jobId) return waitOn(jobId, { key, resumed: true, mayCancel: true, since: step.record.intentAt, until, notes }, deps, call);
      continue; // the intent was taken over: decide again, which now queues
    }
    // Another process is sending this very POST now: watch its record until it has the jobId.
    if (Date.now() + WATCH_MS > until || call.signal.aborted) {
      throw new UnconfirmedQueueError("Another client is queuing this identical export right now; ask again in a few seconds to wait on its job (nothing was queued twice).", Date.now() + 5000);
    }
    await sleep(WATCH_MS);
  }
}

/** clari_wait_for_job's way in: a known jobId, waited on again; it never queues and never cancels. */
export async function resumeExport(jobId: string, waitSeconds: number, deps: ExportDeps, call: CallContext): Promise<ExportOutcome> {
  const notes: string[] = [];
  // Unreadable state (the database down) does not stop a wait on Clari: the jobId is known.
  const unreadable = (error: unknown): undefined => void notes.push(`The stored state could not be read (${faultText(error)}); the job is looked at on Clari only.`);
  const synced = await deps.store.sync().then(() => true, (error: unknown) => unreadable(error));
  const stored = synced ? deps.store.get(jobId) : undefined;
  if (stored) return { outcome: "reused", jobId, entry: stored, ageMs: Date.now() - stored.completedAt, notes };
  const record = synced ? await deps.journal.findJob(jobId).catch(unreadable) : undefined;
  const since = record?.queuedAt ?? record?.intentAt ?? Date.now();
  return waitOn(jobId, { key: record?.requestKey, resumed: false, mayCancel: false, since, until: Date.now() + waitSeconds * 1000, notes }, deps, call);
}

type Step =
  | { kind: "reuse"; entry: StoredExport }
  | { kind: "resume"; record: JournalRecord }
  | { kind: "queue"; intent: JournalRecord }
  | { kind: "reconcile"; record: JournalRecord }
  | { kind: "watch" };

/** Under the lock: what this request should do, from the index and the journal as they are now. */
async function decide(req: ExportRequest, key: string, request: Record<string, unknown>, deps: ExportDeps, notes: string[], call: CallContext): Promise<Step> {
  await deps.store.sync({ underLock: true });
  if (!req.fresh) {
    const entry = deps.store.findFresh(key, deps.config.freshnessMinutes * 60_000);
    if (entry && (await deps.store.isWhole(entry))) return { kind: "reuse", entry };
    // A file cut short on disk is never served as the answer: the export is asked of Clari again.
    if (entry) notes.push(`The stored file of export ${entry.jobId} is damaged (it no longer holds the ${entry.bytes} bytes stored), so it is not reused.`);
  }
  const record = await deps.journal.get(key).catch((error: unknown) => {
    notes.push(`The journal could not be read (${(error as Error).message}): another client on this folder may have this export running.`);
    return undefined;
  });
  if (record?.state === "queued" && record.jobId) return { kind: "resume", record };
  if (!record) {
    const damagedAt = await deps.journal.damagedAt(key).catch(() => undefined);
    // The window is wide: the record was rewritten after its POST (waiters), so its job may be older.
    if (damagedAt !== undefined) return { kind: "reconcile", record: { requestKey: key, kind: req.kind, request, state: "intent", unconfirmed: true, intentAt: damagedAt - DAMAGED_RECORD_WINDOW_MS, owner: SELF } };
  }
  if (record?.state === "intent") {
    const sending = !record.unconfirmed && isAlive(record.owner) !== false && Date.now() - record.intentAt < (deps.config.queueTimeoutSeconds + 5) * 1000;
    return sending ? { kind: "watch" } : { kind: "reconcile", record };
  }
  const now = Date.now();
  const spend = spendOf(call.budget, now);
  const budget = spend ? { budget: { holder: spend.holder, window: spend.window } } : {};
  const intent: JournalRecord = { requestKey: key, kind: req.kind, request, state: "intent", intentAt: now, owner: SELF, queuedBy: call.caller ?? "", ...budget };
  // No POST without a durable intent: were this process to die mid-POST, the intent is what finds the job again.
  // The caller's budget is spent with it (one transaction), so replicas can never both take the last unit.
  const recorded = await (spend ? deps.journal.putSpending(intent, spend) : deps.journal.put(intent).then(() => 0)).catch((error: unknown) => {
    throw new NotQueuedError(`Could not record the request, nothing was queued: ${faultText(error)}. ${CURE}`, error);
  });
  if (recorded === undefined) throw budgetExhausted(call.budget!, spend!, req.kind, request, deps);
  if (call.usage) call.usage.exportsQueued++;
  return { kind: "queue", intent };
}

/** The POST, bounded; then the jobId into the journal. The call's own cancellation never stops it: once sent, the id must come back. */
async function postAndJournal(req: ExportRequest, intent: JournalRecord, deps: ExportDeps, notes: string[], call: CallContext): Promise<string> {
  let jobId: string;
  const bound = AbortSignal.timeout(deps.config.queueTimeoutSeconds * 1000);
  try {
    ({ jobId } = await req.queue(bound));
  } catch (error) {
    if (!mayHaveQueued(error)) {
      // Confirmed: no job exists, so the quota and the budget unit it took are given back.
      if (call.usage) call.usage.exportsQueued--;
      await deps.store.lock.run(() => removeIfSame(deps, intent)).catch(() => undefined);
      if (intent.budget) await deps.store.lock.run(() => deps.journal.giveBack(intent.budget!)).catch((e: unknown) => deps.logger.warn(`could not give back an export budget unit: ${faultText(e)}`));
      throw error instanceof ClariApiError && error.isQuotaError ? await explainQuota(error, deps) : error;
    }
    const reason = bound.aborted ? `no answer within ${deps.config.queueTimeoutSeconds}s` : (error as Error).message;
    return settleUnanswered(intent, reason, error, deps, notes);
  }
  // Never throws: a journal that refuses the jobId leaves it kept in memory and retried.
  const holder = await recordJob(deps, { ...intent, state: "queued", jobId, queuedAt: Date.now(), unconfirmed: undefined }, notes);
  if (holder !== jobId) {
    notes.push(`While Clari answered, the same request was recorded with job ${holder}, which this server follows; job ${jobId}, queued by this call, is not followed: wait on it with clari_wait_for_job or cancel it with clari_cancel_export_job.`);
  }
  return jobId;
}

/** A POST that ended without an answer: mark it unconfirmed, look for its job at once, and say what was found. */
async function settleUnanswered(intent: JournalRecord, reason: string, error: unknown, deps: ExportDeps, notes: string[]): Promise<string> {
  const unconfirmed: JournalRecord = { ...intent, unconfirmed: true };
  // Best effort: the intent itself is recorded, and an unmarked one is reconciled once its sender's time is up.
  await deps.store.lock
    .run(() => deps.journal.put(unconfirmed))
    .catch((error: unknown) => deps.logger.warn(`could not mark an unanswered request in the journal: ${faultText(error)}`));
  const jobId = await reconcileIntent(unconfirmed, deps, notes).catch(() => undefined);
  if (jobId) return jobId;
  const retryAt = intent.intentAt + deps.config.intentGraceSeconds * 1000;
  throw new UnconfirmedQueueError(
    `Clari did not answer the request to queue this export (${reason}), so it may or may not have queued it; its job list does not show it yet. ` +
      `Nothing was queued again. Asking for the same export again looks at Clari's job list first, and queues anew only if no job has shown up by ${new Date(retryAt).toISOString()}.`,
    retryAt,
    error,
  );
}

interface WaitOptions extends Told {
  /** The journal key of the request, when known (wait_for_job may not know it). */
  key: string | undefined;
  /** The job was queued before this call (by an earlier call, another caller or process). */
  resumed: boolean;
  /** This caller may cancel the job when its call is cancelled and nobody else waits. */
  mayCancel: boolean;
  /** When the job was queued (epoch ms): polling slows down for old jobs. */
  since: number;
  /** The call stops waiting at this time (epoch ms). */
  until: number;
}

/** Wait on a known export job; on DONE bring its file into the store. */
export async function waitOn(jobId: string, options: WaitOptions, deps: ExportDeps, call: CallContext): Promise<ExportOutcome> {
  const { notes, resumed } = options;
  const leave = await joinWaiters(deps, jobId, options.key);
  try {
    // Its rows will be asked about: the engine gets ready while Clari builds the file. Started once
    // the first status check is timed (loading DuckDB holds the thread ~0.5 s: started before the
    // waiter was recorded, it put that check ~0.3 s late).
    setImmediate(() => deps.query.warmUp());
    const wait = await pollUntilEnd(jobId, options, deps, call);
    if (wait.outcome === "aborted") {
      // A server shutting down aborts every call: that is no cancellation; the job stays journalled.
      if (call.isClosing() || !options.mayCancel) return { outcome: "running", jobId, wait, resumed, notes };
      let record: JournalRecord | undefined;
      try {
        record = options.key ? await deps.journal.get(options.key) : undefined;
      } catch {
        // Who else waits cannot be known: the job is left running rather than taken from them.
        return { outcome: "cancelled", jobId, wait, cancelConfirmed: false, othersWaiting: 0, notes };
      }
      // A caller who joined a job another queued only stops waiting: the job is theirs, and so is the budget it spent.
      if (resumed && !queuedByCaller(record, call.caller ?? "")) return { outcome: "cancelled", jobId, wait, cancelConfirmed: false, othersWaiting: 0, queuedByAnother: true, notes };
      const othersWaiting = await otherWaiters(deps, jobId, record);
      if (othersWaiting > 0) return { outcome: "cancelled", jobId, wait, cancelConfirmed: false, othersWaiting, notes };
      const cancelConfirmed = await cancelQuietly(jobId, deps);
      if (cancelConfirmed) await forget(deps, jobId, options.key);
      return { outcome: "cancelled", jobId, wait, cancelConfirmed, othersWaiting, notes };
    }
    if (wait.outcome === "timeout") return { outcome: "running", jobId, wait, resumed, notes };
    if (wait.outcome === "failed") {
      await forget(deps, jobId, options.key);
      return { outcome: "failed", jobId, wait, notes };
    }
    const job = wait.job as ExportJob;
    if (job.expiredTime !== undefined && job.expiredTime <= Date.now()) await forget(deps, jobId, options.key);
    // A short wait that ran out on the last poll still gets a moment for the file itself.
    // A download that says a new export is needed has taken the job out of the journal already.
    const entry = await downloadExport(jobId, job, deps, { signal: call.signal, until: Math.max(options.until, Date.now() + DOWNLOAD_GRACE_MS) }).catch((error: unknown) => {
      throw error instanceof ExportJobError ? error : new ExportJobError(jobId, `Export ${jobId} is DONE but fetching it failed: ${(error as Error).message}`, "ask-again", error);
    });
    if (!entry) return { outcome: "running", jobId, wait, resumed, downloading: true, notes };
    await forget(deps, jobId, options.key);
    return { outcome: "done", jobId, entry, wait, resumed, notes };
  } catch (error) {
    // Whatever failed, the caller leaves with the jobId, what it was told so far, and the next step.
    const failed = error instanceof ExportJobError ? error : new ExportJobError(jobId, `Waiting on export ${jobId} failed: ${faultText(error)}.`, "wait", error);
    throw notes.length ? new ExportJobError(jobId, [failed.message, ...notes].join("\n"), failed.next, failed.cause) : failed;
  } finally {
    await leave();
  }
}

/** waitForJob with progress; a failed status check ends the wait only once Clari has said twice that the job is gone. */
async function pollUntilEnd(jobId: string, options: WaitOptions, deps: ExportDeps, call: CallContext): Promise<WaitResult> {
  for (let looks = 0; ; looks++) {
    try {
      return await waitWithProgress("export", jobId, Math.max(0, options.until - Date.now()) / 1000, deps, call, options.since);
    } catch (error) {
      if (isJobNotFound(error) && looks === 0 && Date.now() + 1000 < options.until) {
        await sleep(1000); // Clari's job table may be catching up: look once more
        continue;
      }
      if (isJobNotFound(error)) {
        await forget(deps, jobId, options.key);
        throw new ExportJobError(jobId, `Clari no longer knows export job ${jobId} (not found, twice); it was taken out of the journal.`, "new-export", error);
      }
      throw new ExportJobError(jobId, `Checking export job ${jobId} failed: ${(error as Error).message} The job is kept in the journal.`, "wait", error);
    }
  }
}

/** A wait's outcome in the words tools report. */
export function reportedOutcome(wait: WaitResult): "done" | "running" | "cancelled" | "failed" {
  return wait.outcome === "done" ? "done" : wait.outcome === "timeout" ? "running" : wait.outcome === "aborted" ? "cancelled" : "failed";
}

export async function waitWithProgress(kind: JobKind, jobId: string, waitSeconds: number, deps: ExportDeps, call: CallContext, since?: number): Promise<WaitResult> {
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

/** A refusal Clari answered (4xx, 429) or a request that provably never left: no job can exist. */
function mayHaveQueued(error: unknown): boolean {
  if (error instanceof ClariApiError) return error.status >= 500;
  if (error instanceof ClariNetworkError) return error.mayHaveReachedServer;
  return !(error instanceof ClariConfigError);
}

/**
 * Cancel a job on behalf of one who no longer waits (a cancelled task, named in `exceptTask`, of
 * `caller`), under the rule a cancelled call follows: only when that caller queued it and nobody
 * else waits on it, here, in another process or as another task.
 */
export async function cancelUnlessWaited(
  deps: ExportDeps,
  jobId: string,
  exceptTask: string | undefined,
  caller: string,
): Promise<{ cancelConfirmed: boolean; othersWaiting: number; queuedByAnother?: boolean }> {
  const record = await deps.journal.findJob(jobId);
  if (!queuedByCaller(record, caller)) return { cancelConfirmed: false, othersWaiting: 0, queuedByAnother: true };
  const othersWaiting = await allWaiters(deps, jobId, record, exceptTask);
  if (othersWaiting > 0) return { cancelConfirmed: false, othersWaiting };
  const cancelConfirmed = await cancelQuietly(jobId, deps);
  if (cancelConfirmed) await forget(deps, jobId, record?.requestKey);
  return { cancelConfirmed, othersWaiting };
}

/** A job cancelled or refused by Clari: nothing is left to resume. */
export async function forgetJob(deps: ExportDeps, jobId: string): Promise<void> {
  await forget(deps, jobId, undefined);
}

/** Removes the intent just written, unless another request has replaced it meanwhile. */
async function removeIfSame(deps: ExportDeps, intent: JournalRecord): Promise<void> {
  const record = await deps.journal.get(intent.requestKey);
  if (record && record.state === "intent" && record.intentAt === intent.intentAt && record.owner.token === intent.owner.token) await deps.journal.remove(intent.requestKey);
}

/** Adds to a quota refusal which limit was hit, what remains and which jobs hold the slots. */
async function explainQuota(error: ClariApiError, deps: ExportDeps): Promise<ClariApiError> {
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
  return new ClariApiError({ status: error.status, code: error.code, family: error.family, errorId: error.errorId, operation: error.operation, message: `${error.message}\n${detail}`, hint: undefined });
}

async function cancelQuietly(jobId: string, deps: ExportDeps): Promise<boolean> {
  try {
    const result = await deps.client.cancelExportJob(jobId, { signal: AbortSignal.timeout(5000) });
    deps.logger.info(`cancelled Clari job ${jobId}: every caller waiting on it cancelled`);
    return result.successful !== false;
  } catch (error) {
    deps.logger.warn(`could not cancel Clari job ${jobId}: ${(error as Error).message}`);
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
