/**
 * Export jobs: lifecycle, monthly quota and concurrency.
 *
 * A job's status is computed from the clock: SCHEDULED for the first 20% of its duration, then
 * STARTED, then DONE (or FAILED/ABORTED when the failJobs fault was on at creation; or STARTED for
 * ever when stuckJobs was on). Every queued export spends one unit of the rolling 30-day quota and
 * holds a concurrency slot while SCHEDULED or STARTED. Cancelling refunds the quota unit.
 */
import { DAY_MS } from "./calendar.js";
import { hashKey, Rng } from "./random.js";

export type JobModule = "FORECAST" | "AUDIT" | "ACTIVITY";
export type JobStatus = "SCHEDULED" | "STARTED" | "DONE" | "FAILED" | "CANCELLED" | "ABORTED";
export type TerminalStatus = "DONE" | "FAILED" | "CANCELLED" | "ABORTED";

export const TERMINAL: ReadonlySet<JobStatus> = new Set(["DONE", "FAILED", "CANCELLED", "ABORTED"]);
export const EXPIRY_MS = 30 * DAY_MS;
export const QUOTA_WINDOW_MS = 30 * DAY_MS;

export interface JobContent {
  body: string;
  contentType: string;
}

export interface JobSpec {
  module: JobModule;
  title: string;
  fileName: string;
  fileType: "JSON" | "CSV";
  currency: string;
  /** Builds the results file (called once, on the first download). */
  produce: () => JobContent;
}

export interface ExportJob extends JobSpec {
  jobId: string;
  seq: number;
  createdAt: number;
  durationMs: number;
  outcome: "DONE" | "FAILED" | "ABORTED";
  stuck: boolean;
  /** Set when forced to a terminal status (cancel, finishJob). */
  forced?: { status: TerminalStatus; at: number };
  /** Quota unit given back (cancelled). */
  refunded: boolean;
  /** Overrides endTime + 30 days (expireJob). */
  expiredAt?: number;
  downloads: number;
  viewed: boolean;
  content?: JobContent;
}

export type Admission = "ok" | "quota" | "concurrency";

export interface Limits {
  concurrentLimit: number;
  monthlyQuota: number;
  runningJobIds: string[];
  submittedJobIds: string[];
  availableConcurrentLimit: number;
  availableMonthlyQuota: number;
}

/** Deterministic 24-hex ids from the seed and a counter, distinct per salt. */
export class IdSequence {
  private n = 0;
  private readonly used = new Set<string>();

  constructor(
    private readonly seed: number,
    private readonly salt: string,
  ) {}

  next(): string {
    for (;;) {
      const id = new Rng(hashKey(this.seed, this.salt, this.n++)).hex(24);
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }
}

export class JobStore {
  private readonly jobs = new Map<string, ExportJob>();
  private readonly ids: IdSequence;
  private seq = 0;

  /**
   * `startedAt` (the clock when the sandbox started) and the process id salt the ids: a restarted
   * sandbox never hands out a jobId of an earlier run, which a client may still hold in its store,
   * and two sandboxes started in one millisecond (two processes on one cache folder) never share one.
   */
  constructor(
    seed: number,
    private readonly limitsConfig: { monthlyQuota: number; concurrentLimit: number },
    startedAt = 0,
  ) {
    this.ids = new IdSequence(seed, `export-job@${startedAt}@${process.pid}`);
  }

  get size(): number {
    return this.jobs.size;
  }

  get(jobId: string): ExportJob | undefined {
    return this.jobs.get(jobId);
  }

  list(): ExportJob[] {
    return [...this.jobs.values()];
  }

  status(job: ExportJob, now: number): JobStatus {
    if (job.forced) return job.forced.status;
    const elapsed = now - job.createdAt;
    if (elapsed < job.durationMs * 0.2) return "SCHEDULED";
    if (job.stuck || elapsed < job.durationMs) return "STARTED";
    return job.outcome;
  }

  endTime(job: ExportJob, now: number): number | null {
    if (job.forced) return job.forced.at;
    return TERMINAL.has(this.status(job, now)) ? job.createdAt + job.durationMs : null;
  }

  expiredTime(job: ExportJob, now: number): number | null {
    if (job.expiredAt !== undefined) return job.expiredAt;
    const end = this.endTime(job, now);
    return end === null ? null : end + EXPIRY_MS;
  }

  isExpired(job: ExportJob, now: number): boolean {
    const exp = this.expiredTime(job, now);
    return exp !== null && exp <= now;
  }

  isRunning(job: ExportJob, now: number): boolean {
    return !TERMINAL.has(this.status(job, now));
  }

  limits(now: number): Limits {
    const running: string[] = [];
    const submitted: string[] = [];
    for (const job of this.jobs.values()) {
      if (this.isRunning(job, now)) running.push(job.jobId);
      if (!job.refunded && job.createdAt > now - QUOTA_WINDOW_MS) submitted.push(job.jobId);
    }
    const { monthlyQuota, concurrentLimit } = this.limitsConfig;
    return {
      concurrentLimit,
      monthlyQuota,
      runningJobIds: running,
      submittedJobIds: submitted,
      availableConcurrentLimit: Math.max(0, concurrentLimit - running.length),
      availableMonthlyQuota: Math.max(0, monthlyQuota - submitted.length),
    };
  }

  admission(now: number): Admission {
    const l = this.limits(now);
    if (l.availableMonthlyQuota <= 0) return "quota";
    if (l.availableConcurrentLimit <= 0) return "concurrency";
    return "ok";
  }

  create(
    spec: JobSpec,
    now: number,
    timing: { durationMs: number; stuck: boolean; outcome: "DONE" | "FAILED" | "ABORTED" },
  ): ExportJob {
    const job: ExportJob = {
      ...spec,
      jobId: this.ids.next(),
      seq: ++this.seq,
      createdAt: now,
      durationMs: Math.max(0, timing.durationMs),
      outcome: timing.outcome,
      stuck: timing.stuck,
      refunded: false,
      downloads: 0,
      viewed: false,
    };
    this.jobs.set(job.jobId, job);
    return job;
  }

  /** Cancel a running job; false when it has already reached a terminal status. */
  cancel(job: ExportJob, now: number): boolean {
    if (!this.isRunning(job, now)) return false;
    job.forced = { status: "CANCELLED", at: now };
    job.refunded = true;
    return true;
  }

  /** Force a terminal status now (test control). */
  finish(job: ExportJob, status: "DONE" | "FAILED" | "ABORTED", now: number): void {
    job.forced = { status, at: now };
  }

  /** Make a job's results expired (test control); a running job is first finished as DONE. */
  expire(job: ExportJob, now: number): void {
    if (this.isRunning(job, now)) this.finish(job, "DONE", now - 1);
    job.expiredAt = now - 1;
  }

  /** The job as the API shows it. */
  view(job: ExportJob, now: number, userId: number, orgId: number): Record<string, unknown> {
    return {
      jobId: job.jobId,
      userId,
      orgId,
      title: job.title,
      module: job.module,
      startTime: job.createdAt,
      endTime: this.endTime(job, now),
      expiredTime: this.expiredTime(job, now),
      version: 1,
      fileName: job.fileName,
      fileType: job.fileType,
      status: this.status(job, now),
      viewed: job.viewed,
      cellsTruncated: false,
      rowsTruncated: false,
      downloads: job.downloads,
      deliveryStatusMap: {},
      currency: job.currency,
    };
  }

  /** The results file, produced once; counts the download. */
  download(job: ExportJob): JobContent {
    job.content ??= job.produce();
    job.downloads++;
    job.viewed = true;
    return job.content;
  }
}
