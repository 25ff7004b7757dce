/**
 * JobIds Clari gave that the journal does not hold yet: the state database was unreachable or the
 * disk full when the answer came. Such a jobId is never dropped. It is kept here (per store, in
 * this process), written to the journal again with backoff (p-retry, bounded) until it is there,
 * found here by the next identical request in this process, and handed to the caller with what to
 * do next. Should this process die first, the intent written before the POST remains, and the next
 * process finds the job on Clari's job list (reconcile.ts).
 */
import pRetry from "p-retry";
import type { ExportDeps } from "../context.js";
import { faultText } from "./errors.js";
import type { JournalRecord } from "./journal.js";

interface Kept {
  record: JournalRecord;
  retrying: boolean;
}

const keptJobs = new WeakMap<object, Map<string, Kept>>();
/** The background rewrite: from 0.5 s doubling to 10 s apart, about 100 s in all; a later ask starts another round. */
const RETRY = { retries: 14, minTimeout: 500, factor: 2, maxTimeout: 10_000, unref: true } as const;

function keptOf(deps: ExportDeps): Map<string, Kept> {
  let map = keptJobs.get(deps.store);
  if (!map) keptJobs.set(deps.store, (map = new Map()));
  return map;
}

/**
 * Record a jobId for its request; returns the jobId the request now holds: this one, or another
 * caller's that settled the request meanwhile (this record is then not written). Never throws: a
 * journal that refuses the write leaves the jobId kept and retried, and `notes` tell the caller.
 */
export async function recordJob(deps: ExportDeps, record: JournalRecord & { jobId: string }, notes: string[], options: { settleDamaged?: boolean } = {}): Promise<string> {
  try {
    const holder = await deps.store.lock.run(() => writeUnlessSettled(deps, record, options.settleDamaged === true));
    return holder ?? record.jobId;
  } catch (error) {
    keep(deps, record, error);
    notes.push(notRecorded(record.jobId, faultText(error)));
    return record.jobId;
  }
}

/** A jobId kept for this request key, not yet in the journal; asking for it starts another round of retries if the last one gave up. */
export function keptJob(deps: ExportDeps, requestKey: string): JournalRecord | undefined {
  const kept = keptOf(deps).get(requestKey);
  if (kept && !kept.retrying) retryInBackground(deps, kept);
  return kept?.record;
}

/** Every jobId kept in memory (owned by a request, like those in the journal). */
export function keptJobIds(deps: ExportDeps): string[] {
  return [...keptOf(deps).values()].map((k) => k.record.jobId!).filter(Boolean);
}

/** The job's end is confirmed: nothing is left to record. */
export function dropKept(deps: ExportDeps, jobId: string): void {
  const map = keptOf(deps);
  for (const [key, kept] of map) if (kept.record.jobId === jobId) map.delete(key);
}

/** What the caller is told about a jobId the journal does not hold yet. */
export function notRecorded(jobId: string, reason: string): string {
  return (
    `Clari queued job ${jobId}, but it could not be recorded yet (${reason}); this server keeps it in memory and keeps trying to record it. ` +
    `Continue with clari_wait_for_job {"jobId":"${jobId}"} (it spends no quota), and keep this jobId: should this server restart before the job is recorded, it is looked for on Clari's job list.`
  );
}

/** Under the lock: write the record unless the request now holds another job (returned). */
async function writeUnlessSettled(deps: ExportDeps, record: JournalRecord & { jobId: string }, settleDamaged: boolean): Promise<string | undefined> {
  const now = await deps.journal.get(record.requestKey);
  if (now?.state === "queued" && now.jobId && now.jobId !== record.jobId) return now.jobId;
  if (settleDamaged) await deps.journal.settleDamaged(record.requestKey);
  // The same job recorded meanwhile keeps its waiters.
  await deps.journal.put(now?.jobId === record.jobId ? { ...record, waiters: now.waiters } : record);
  return undefined;
}

function keep(deps: ExportDeps, record: JournalRecord, error: unknown): void {
  deps.logger.warn(`job ${record.jobId} could not be written to the journal (${faultText(error)}); it is kept in memory and retried`);
  const map = keptOf(deps);
  const kept: Kept = map.get(record.requestKey) ?? { record, retrying: false };
  kept.record = record;
  map.set(record.requestKey, kept);
  if (!kept.retrying) retryInBackground(deps, kept);
}

function retryInBackground(deps: ExportDeps, kept: Kept): void {
  kept.retrying = true;
  const map = keptOf(deps);
  const key = kept.record.requestKey;
  void pRetry(
    async () => {
      if (map.get(key) !== kept) return; // its end was confirmed meanwhile
      const record = kept.record as JournalRecord & { jobId: string };
      const holder = await deps.store.lock.run(() => writeUnlessSettled(deps, record, false));
      if (map.get(key) === kept) {
        if (kept.record !== record) throw new Error("a newer record of this request is waiting");
        map.delete(key);
      }
      if (holder) deps.logger.warn(`job ${record.jobId} was not recorded: its request is now recorded with job ${holder}`);
      else deps.logger.info(`job ${record.jobId} is now recorded in the journal`);
    },
    { ...RETRY, onFailedAttempt: ({ error, retriesLeft }) => deps.logger.debug(`recording job ${kept.record.jobId} failed (${faultText(error)}); ${retriesLeft} retries left`) },
  )
    .catch((error: unknown) => deps.logger.warn(`job ${kept.record.jobId} is still not recorded (${faultText(error)}); it stays in memory and is retried when it is asked for again`))
    .finally(() => (kept.retrying = false));
}
