/**
 * The sandbox: a local simulated Clari. A real HTTP server on loopback implementing the 15 API
 * operations and the synchronous forecast read over a deterministic seeded org, with the real job
 * lifecycle, quota and concurrency limits, error bodies, 429s and fault knobs.
 *
 *   const sb = await startSandbox({ seed: 7, jobDurationMs: 200 });
 *   fetch(`${sb.v4Url}/admin/limits`, { headers: { apikey: "sandbox" } });
 *
 * It prints nothing; pass `log` to see one line per request (never header values).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { IngestStore } from "./ingest-store.js";
import { JobStore } from "./jobs.js";
import { type SandboxOrg, createOrg } from "./org.js";
import { Rng, hashKey } from "./random.js";
import { type ServerStats, createRequestHandler } from "./server.js";
import {
  DEFAULT_FAULTS,
  type ResolvedOptions,
  type SandboxFaults,
  type SandboxOptions,
  type SandboxState,
} from "./types.js";

export type { SandboxFaults, SandboxOptions } from "./types.js";
export type { SandboxOrg } from "./org.js";
export type { SandboxUser } from "./users.js";
export type { CanonicalEntry, DataType, ForecastEntriesOptions, ForecastField, ForecastTab } from "./forecast-data.js";
export type { AuditEvent, AuditActor } from "./audit-data.js";
export type { Activity, ActivityType } from "./activity-data.js";
export type { Account, Opportunity } from "./crm.js";
export { CURRENCIES, FLAT_HEADER, formatMoney } from "./forecast-results.js";
export { DATA_TYPES, FORECAST_FIELDS, FORECAST_TABS } from "./forecast-data.js";

export interface SandboxStats {
  requests: number;
  byRoute: Record<string, number>;
  /** Export jobs (forecast, audit, activity) queued. */
  jobsCreated: number;
  /** Quota units spent in the rolling 30-day window (cancelled jobs refunded). */
  quotaUsed: number;
  /** Bulk ingest jobs accepted. */
  ingestJobsCreated: number;
  /** Records accepted by the ingest API. */
  ingestedRecords: number;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** url + "/v4": export, jobs, audit, activity, opportunity, admin, sync forecast. */
  v4Url: string;
  /** url + "/v2": every /ingest/... path. */
  v2Url: string;
  port: number;
  /** The seeded data, so tests can compute expected answers independently of any parser. */
  org: SandboxOrg;
  setFaults(f: Partial<SandboxFaults>): void;
  stats(): SandboxStats;
  /** Force an export job to a terminal status now. */
  finishJob(jobId: string, status?: "DONE" | "FAILED" | "ABORTED"): void;
  /** Results then answer 400 as expired (the job stays listed, expiredTime in the past). */
  expireJob(jobId: string): void;
  close(): Promise<void>;
}

const clampRate = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

function mergeFaults(base: SandboxFaults, f: Partial<SandboxFaults> | undefined): SandboxFaults {
  const out: SandboxFaults = { ...base };
  if (!f) return out;
  if (f.latencyMs !== undefined) out.latencyMs = Math.max(0, Number(f.latencyMs) || 0);
  if (f.errorRate !== undefined) out.errorRate = clampRate(f.errorRate);
  if (f.errorStatus !== undefined) {
    if (![500, 502, 503, 504].includes(f.errorStatus)) throw new RangeError("errorStatus must be 500, 502, 503 or 504");
    out.errorStatus = f.errorStatus;
  }
  if (f.truncateRate !== undefined) out.truncateRate = clampRate(f.truncateRate);
  if (f.resetRate !== undefined) out.resetRate = clampRate(f.resetRate);
  if (f.stuckJobs !== undefined) out.stuckJobs = Boolean(f.stuckJobs);
  if (f.failJobs !== undefined) {
    if (!["none", "FAILED", "ABORTED"].includes(f.failJobs)) throw new RangeError('failJobs must be "none", "FAILED" or "ABORTED"');
    out.failJobs = f.failJobs;
  }
  if (f.retryAfter !== undefined) {
    if (!["seconds", "date", "none"].includes(f.retryAfter)) throw new RangeError('retryAfter must be "seconds", "date" or "none"');
    out.retryAfter = f.retryAfter;
  }
  return out;
}

function resolveOptions(o: SandboxOptions): ResolvedOptions {
  const int = (v: number | undefined, d: number, min: number, name: string): number => {
    if (v === undefined) return d;
    if (!Number.isFinite(v) || v < min) throw new RangeError(`${name} must be a number >= ${min}`);
    return Math.floor(v);
  };
  return {
    host: o.host ?? "127.0.0.1",
    port: int(o.port, 0, 0, "port"),
    seed: o.seed === undefined ? 42 : Math.floor(o.seed),
    users: int(o.users, 40, 1, "users"),
    jobDurationMs: int(o.jobDurationMs, 3000, 0, "jobDurationMs"),
    shape: o.shape ?? "wrapped",
    monthlyQuota: int(o.monthlyQuota, 1000, 0, "monthlyQuota"),
    concurrentLimit: int(o.concurrentLimit, 3, 0, "concurrentLimit"),
    rateLimitPerSecond: int(o.rateLimitPerSecond, 100, 1, "rateLimitPerSecond"),
    apiKey: o.apiKey ?? "sandbox",
    partnerKey: o.partnerKey ?? "sandbox-partner",
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const opts = resolveOptions(options);
  if (opts.shape !== "wrapped" && opts.shape !== "bare") throw new RangeError('shape must be "wrapped" or "bare"');
  const now = options.now ?? Date.now;
  const org = createOrg(opts.seed, opts.users, now);
  const state: SandboxState = {
    opts,
    now,
    org,
    jobs: new JobStore(opts.seed, { monthlyQuota: opts.monthlyQuota, concurrentLimit: opts.concurrentLimit }, now()),
    ingest: new IngestStore(opts.seed),
    faults: mergeFaults(DEFAULT_FAULTS, options.faults),
    ids: new Rng(hashKey(opts.seed, "response-ids")),
  };
  const stats: ServerStats = { requests: 0, byRoute: {} };
  let url = "";
  const handler = createRequestHandler({ state, stats, log: options.log, baseUrl: () => url });
  const server = createServer({ keepAliveTimeout: 5000 }, handler.handle);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(opts.port, opts.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" || address.address.includes(":") ? `[${address.address}]` : address.address;
  url = `http://${hostForUrl}:${address.port}`;

  const job = (jobId: string) => {
    const j = state.jobs.get(jobId);
    if (!j) throw new Error(`no export job ${jobId}`);
    return j;
  };
  let closed: Promise<void> | undefined;

  return {
    url,
    v4Url: `${url}/v4`,
    v2Url: `${url}/v2`,
    port: address.port,
    org,
    setFaults(f) {
      state.faults = mergeFaults(state.faults, f);
    },
    stats() {
      const limits = state.jobs.limits(now());
      return {
        requests: stats.requests,
        byRoute: { ...stats.byRoute },
        jobsCreated: state.jobs.size,
        quotaUsed: limits.submittedJobIds.length,
        ingestJobsCreated: state.ingest.jobsCreated,
        ingestedRecords: state.ingest.recordsAccepted,
      };
    },
    finishJob(jobId, status = "DONE") {
      state.jobs.finish(job(jobId), status, now());
    },
    expireJob(jobId) {
      state.jobs.expire(job(jobId), now());
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        handler.cancelPending();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
