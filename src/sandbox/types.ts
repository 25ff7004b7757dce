/**
 * Types shared across the sandbox: the public options and fault knobs, and the internal request
 * context / reply that route handlers use.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { IngestStore } from "./ingest-store.js";
import type { JobStore } from "./jobs.js";
import type { SandboxOrg } from "./org.js";
import type { Rng } from "./random.js";

export interface SandboxFaults {
  /** Added delay on every response (default 0). */
  latencyMs: number;
  /** 0..1 fraction of requests answered with a 5xx (default 0). */
  errorRate: number;
  /** Status used for injected errors (default 503). */
  errorStatus: 500 | 502 | 503 | 504;
  /** 0..1 fraction of JSON bodies cut in half, Content-Length matching the cut body (default 0). */
  truncateRate: number;
  /** 0..1 fraction of requests whose socket is destroyed without a response (default 0). */
  resetRate: number;
  /** New export/ingest jobs never leave STARTED/IN_PROGRESS (default false). */
  stuckJobs: boolean;
  /** New export jobs end in this status instead of DONE (ingest jobs end FAILED) (default "none"). */
  failJobs: "none" | "FAILED" | "ABORTED";
  /** How 429s carry Retry-After (default "seconds"). */
  retryAfter: "seconds" | "date" | "none";
}

export const DEFAULT_FAULTS: SandboxFaults = {
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 503,
  truncateRate: 0,
  resetRate: 0,
  stuckJobs: false,
  failJobs: "none",
  retryAfter: "seconds",
};

export interface SandboxOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 42. */
  seed?: number;
  /** Org size, default 40. */
  users?: number;
  /** Clock (epoch ms), default Date.now. */
  now?: () => number;
  /** SCHEDULED (first 20%) -> STARTED -> DONE after this long, default 3000. */
  jobDurationMs?: number;
  /** Job responses: real-world wrapped {job}/{jobs} (default) or the spec's bare object/array. */
  shape?: "wrapped" | "bare";
  /** Default 1000. */
  monthlyQuota?: number;
  /** Default 3. */
  concurrentLimit?: number;
  /** Per apikey; above it answer 429 (default 100). */
  rateLimitPerSecond?: number;
  /** Accepted apikey, default "sandbox". */
  apiKey?: string;
  /** Accepted partnerkey, default "sandbox-partner". */
  partnerKey?: string;
  faults?: Partial<SandboxFaults>;
  /** Optional request log (method, path, status); never includes header values. */
  log?: (line: string) => void;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  seed: number;
  users: number;
  jobDurationMs: number;
  shape: "wrapped" | "bare";
  monthlyQuota: number;
  concurrentLimit: number;
  rateLimitPerSecond: number;
  apiKey: string;
  partnerKey: string;
}

/** Which error-body family a path belongs to. */
export type Family = "export" | "audit" | "activity" | "opportunity" | "ingest" | "ingestJob";

export interface SandboxState {
  opts: ResolvedOptions;
  now: () => number;
  org: SandboxOrg;
  jobs: JobStore;
  ingest: IngestStore;
  faults: SandboxFaults;
  /** Seeded generator for response ids (errorIds and the like). */
  ids: Rng;
}

export interface RequestContext {
  method: string;
  /** Path without the /v4 or /v2 prefix, e.g. "/export/jobs/abc". */
  path: string;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The sandbox clock, read once per request. */
  now: number;
  /** Scheme + host the client used, for links such as audit nextLink. */
  origin: string;
  state: SandboxState;
}

export interface Reply {
  status: number;
  /** A JSON body (serialised by the server). */
  json?: unknown;
  /** A raw text body, sent with contentType. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;
