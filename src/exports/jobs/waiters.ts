/**
 * Who is waiting on a job. A Clari job several callers wait on (two identical requests, two HTTP
 * sessions, two processes on one folder, an MCP task) is cancelled only when every one of them has
 * cancelled: callers in this process are counted here, callers in other processes in the job's
 * journal record, and tasks by their records in the shared state (a task waits for its whole life,
 * across restarts and replicas, without any call being open).
 */
import type { ExportDeps } from "../context.js";
import { EXPORT_LIFETIME_MS } from "../store/store.js";
import { liveWaiters, SELF, type JournalRecord } from "./journal.js";

const active = new WeakMap<object, Map<string, number>>();

function countsOf(deps: ExportDeps): Map<string, number> {
  let counts = active.get(deps.store);
  if (!counts) active.set(deps.store, (counts = new Map()));
  return counts;
}

/** Count a caller in; the returned function counts it out. Both are mirrored into the journal record. */
export async function joinWaiters(deps: ExportDeps, jobId: string, requestKey: string | undefined): Promise<() => Promise<void>> {
  const counts = countsOf(deps);
  counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
  await mirror(deps, requestKey, jobId);
  let left = false;
  return async () => {
    if (left) return;
    left = true;
    const n = (counts.get(jobId) ?? 1) - 1;
    if (n > 0) counts.set(jobId, n);
    else counts.delete(jobId);
    await mirror(deps, requestKey, jobId);
  };
}

/** Callers still waiting on the job besides the one asking, in this process, in others and as tasks. */
export async function otherWaiters(deps: ExportDeps, jobId: string, record: JournalRecord | undefined): Promise<number> {
  const here = (countsOf(deps).get(jobId) ?? 1) - 1;
  const { [SELF.token]: _self, ...others } = record?.waiters ?? {};
  return here + liveWaiters({ ...(record as JournalRecord), waiters: others }) + (await waitingTasks(deps, jobId));
}

/**
 * Everyone waiting on the job, in this process, in others and as tasks (asked by one who is not
 * among them; a task cancelling names itself in `exceptTask`).
 */
export async function allWaiters(deps: ExportDeps, jobId: string, record: JournalRecord | undefined, exceptTask?: string): Promise<number> {
  const { [SELF.token]: _self, ...others } = record?.waiters ?? {};
  return (countsOf(deps).get(jobId) ?? 0) + liveWaiters({ ...(record as JournalRecord), waiters: others }) + (await waitingTasks(deps, jobId, exceptTask));
}

/**
 * Tasks still working on the job (their records, shared by every process and replica). A task
 * cancelled or ended no longer counts; nor does one past its TTL (its client can no longer ask).
 * When the records cannot be read, every task counts as waiting: better to keep a job than to
 * cancel one a task still waits on.
 */
async function waitingTasks(deps: ExportDeps, jobId: string, exceptTask?: string): Promise<number> {
  const alive = Date.now() - EXPORT_LIFETIME_MS;
  try {
    const working = await deps.tasks.list({ jobId, status: "working", limit: 1000 });
    return working.filter((t) => t.taskId !== exceptTask && t.createdAt > alive).length;
  } catch (error) {
    deps.logger.warn(`could not read the tasks waiting on job ${jobId}: ${(error as Error).message}; the job is kept`);
    return 1;
  }
}

/** Write this process's count into the record (best effort: a missing record has nothing to mirror). */
async function mirror(deps: ExportDeps, requestKey: string | undefined, jobId: string): Promise<void> {
  if (!requestKey) return;
  const count = countsOf(deps).get(jobId) ?? 0;
  await deps.store.lock
    .run(async () => {
      const record = await deps.journal.get(requestKey);
      if (!record || record.jobId !== jobId) return;
      const waiters = { ...record.waiters };
      if (count > 0) waiters[SELF.token] = { ...SELF, count };
      else delete waiters[SELF.token];
      await deps.journal.put({ ...record, waiters });
    })
    .catch((error: unknown) => deps.logger.warn(`could not record waiters of job ${jobId}: ${(error as Error).message}`));
}
