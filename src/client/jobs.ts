/**
 * waitForJob: poll an export or ingest job until it reaches a terminal status, the deadline
 * passes, or the caller aborts. Never throws for a job that merely failed or took too long:
 * the caller always gets the jobId back with the last status seen, so nothing is lost.
 */
import { ClariApiError, ClariNetworkError, ClariResponseError } from "./errors.js";
import type { ClariClient } from "./clari-client.js";
import { EXPORT_TERMINAL_STATUSES, INGEST_TERMINAL_STATUSES } from "./schemas.js";

export type JobKind = "export" | "ingest";
export type WaitOutcome = "done" | "failed" | "timeout" | "aborted";

export interface JobProgress {
  jobId: string;
  status: string;
  elapsedMs: number;
  attempts: number;
}

export interface PollSchedule {
  /** Delay before the first status request. */
  firstPollMs: number;
  /** Interval while the job is young: bounds the delay between DONE and our noticing it. */
  intervalMs: number;
  /** After this long, intervals grow by `growth` up to `maxIntervalMs` (long jobs cost fewer requests). */
  growAfterMs: number;
  growth: number;
  maxIntervalMs: number;
}

export const DEFAULT_POLL: PollSchedule = { firstPollMs: 1000, intervalMs: 1000, growAfterMs: 60_000, growth: 1.5, maxIntervalMs: 10_000 };

export interface WaitOptions {
  /** Give up waiting (not the job) after this long. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: JobProgress) => void) | undefined;
  poll?: Partial<PollSchedule> | undefined;
  /** How long ago the job was queued: a job resumed after minutes is polled at the slower pace. */
  jobAgeMs?: number | undefined;
}

export interface WaitResult {
  jobId: string;
  kind: JobKind;
  outcome: WaitOutcome;
  /** Last status seen ("UNKNOWN" if no poll succeeded). */
  status: string;
  /** Last job object seen (export job or ingest job). */
  job: Record<string, unknown> | undefined;
  elapsedMs: number;
  attempts: number;
  /** Transient poll failures that were ridden out (network, 5xx, unreadable bodies). */
  transientErrors: number;
}

const SUCCESS: Record<JobKind, string> = { export: "DONE", ingest: "SUCCESS" };
const TERMINAL: Record<JobKind, ReadonlySet<string>> = { export: EXPORT_TERMINAL_STATUSES, ingest: INGEST_TERMINAL_STATUSES };

export function isTerminalStatus(kind: JobKind, status: string): boolean {
  return TERMINAL[kind].has(status);
}

/**
 * Errors that say nothing about the job itself; polling goes on after them. A 5xx whose body is
 * an ingest job with a terminal status is not one of them: getIngestJob returns it as the job.
 */
function isTransient(error: unknown): boolean {
  if (error instanceof ClariNetworkError) return error.kind !== "aborted";
  if (error instanceof ClariResponseError) return true;
  if (error instanceof ClariApiError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return false;
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function nextInterval(elapsedMs: number, previousMs: number, schedule: PollSchedule): number {
  if (elapsedMs < schedule.growAfterMs) return schedule.intervalMs;
  return Math.min(schedule.maxIntervalMs, Math.max(schedule.intervalMs, previousMs * schedule.growth));
}

export async function waitForJob(client: ClariClient, kind: JobKind, jobId: string, options: WaitOptions): Promise<WaitResult> {
  const schedule = { ...DEFAULT_POLL, ...options.poll };
  const started = Date.now();
  const deadline = started + Math.max(0, options.timeoutMs);
  const result: WaitResult = { jobId, kind, outcome: "timeout", status: "UNKNOWN", job: undefined, elapsedMs: 0, attempts: 0, transientErrors: 0 };
  let delay = Math.min(schedule.firstPollMs, options.timeoutMs);

  for (;;) {
    const remaining = deadline - Date.now();
    const wait = Math.max(0, Math.min(delay, remaining));
    if (!(await sleep(wait, options.signal))) {
      result.outcome = "aborted";
      break;
    }
    result.attempts += 1;
    // Each poll ends by the deadline (at least a second): a slow Clari cannot stretch the wait.
    const pollDeadline = AbortSignal.timeout(Math.max(1000, deadline - Date.now()));
    const signal = options.signal ? AbortSignal.any([options.signal, pollDeadline]) : pollDeadline;
    try {
      const job = kind === "export" ? await client.getExportJob(jobId, { signal }) : await client.getIngestJob(jobId, { signal });
      result.job = job as Record<string, unknown>;
      result.status = job.status;
    } catch (error) {
      if (options.signal?.aborted) {
        result.outcome = "aborted";
        break;
      }
      if (!pollDeadline.aborted && !isTransient(error)) throw error;
      result.transientErrors += 1;
    }
    result.elapsedMs = Date.now() - started;
    options.onProgress?.({ jobId, status: result.status, elapsedMs: result.elapsedMs, attempts: result.attempts });
    if (isTerminalStatus(kind, result.status)) {
      result.outcome = result.status === SUCCESS[kind] ? "done" : "failed";
      break;
    }
    if (Date.now() >= deadline) break;
    delay = nextInterval(result.elapsedMs + (options.jobAgeMs ?? 0), delay, schedule);
  }
  result.elapsedMs = Date.now() - started;
  return result;
}
