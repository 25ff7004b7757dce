/**
 * A hostile fake Clari for black-box reliability tests: a node:http server on 127.0.0.1 that
 * serves just enough of /v4 (queue a forecast or audit export, job status, job list, cancel,
 * results, limits), records every request, and misbehaves on demand through `faults`: a slow or
 * reset queue POST, a sequence of odd answers to status polls, results drip-fed for ever, bigger
 * than a cap, or stalled, a clock minutes away from ours. Jobs of other clients on the same key
 * can be planted (`plantJob`). Every request must carry the `apikey` header; anything else is a 401.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { writeTables } from "../exports/fixtures.js";

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  body: string;
  /** Epoch ms when the request was received. */
  at: number;
}

export type JobStatus = "SCHEDULED" | "STARTED" | "DONE" | "FAILED" | "CANCELLED" | "ABORTED";

/** One answer to a status poll: the normal one, an HTTP error with a body, or a forced job status. */
export type PollAnswer = "normal" | { http: number; body?: unknown } | { jobStatus: JobStatus };

export type ResultsPlan =
  | { kind: "normal" }
  /** A JSON body that never ends: `chunkBytes` every `everyMs` until the client goes away (or `maxMs`). */
  | { kind: "drip"; chunkBytes: number; everyMs: number; maxMs?: number }
  /** A complete, valid JSON body of about `bytes` bytes, with a Content-Length. */
  | { kind: "big"; bytes: number }
  /** Headers and one byte, then nothing. */
  | { kind: "stall" };

export interface Faults {
  /** How long a job takes from creation to DONE (SCHEDULED for the first fifth). */
  jobMs: number;
  /** Delay before the queue POST is answered. */
  postDelayMs: number;
  /** A delayed POST creates its job as soon as it is received, or only when it is answered. */
  createJobOn: "received" | "answered";
  /** Create the job, then reset the connection instead of answering. */
  resetAfterCreate: boolean;
  /** Answers to the next status polls (GET /export/jobs/{id}), consumed one per poll; then normal. */
  pollAnswers: PollAnswer[];
  results: ResultsPlan;
  /** Clari's clock minus ours (ms): its Date headers and its jobs' times are on its clock. */
  clockSkewMs: number;
  /** Called before routing; return true when it answered the request itself. */
  hook?: ((request: RecordedRequest, req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>) | undefined;
}

export type FakeModule = "FORECAST" | "AUDIT";

export interface FakeJob {
  jobId: string;
  module: FakeModule;
  /** Queued by a POST to this fake (false: planted as another client's). */
  posted: boolean;
  forecastId: string;
  timePeriod: string;
  body: Record<string, unknown>;
  createdAt: number;
  durationMs: number;
  cancelledAt?: number;
}

export interface ResultStream {
  jobId: string;
  openedAt: number;
  closedAt: number | undefined;
  bytesSent: number;
}

export interface FakeClari {
  apiKey: string;
  v4Url: string;
  v2Url: string;
  faults: Faults;
  requests: RecordedRequest[];
  /** Queue POSTs received (POST /v4/export/forecast/{id} and /v4/export/audit/events). */
  posts(): RecordedRequest[];
  /** Another client's job on the same key, created `agoMs` before now (our clock). */
  plantJob(job: { module?: FakeModule; forecastId?: string; timePeriod?: string; agoMs: number }): FakeJob;
  /** PATCH requests that asked for a cancel. */
  cancels(): RecordedRequest[];
  jobs(): FakeJob[];
  statusOf(job: FakeJob): JobStatus;
  resultStreams(): ResultStream[];
  openResultStreams(): number;
  close(): Promise<void>;
}

export const DEFAULT_FAULTS: Faults = {
  jobMs: 1000,
  postDelayMs: 0,
  createJobOn: "received",
  resetAfterCreate: false,
  pollAnswers: [],
  results: { kind: "normal" },
  clockSkewMs: 0,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;

function stamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replaceAll("-", "")}_${iso.slice(11, 19).replaceAll(":", "")}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** One forecast entry padded with a note so that it is about `bytes` long followed by a comma. */
function fillerEntry(bytes: number): string {
  const base = JSON.stringify({ userId: "280627:00E4M000001000AAA", fieldId: "f_commit", timeFrameId: "TF:2026-10-05", forecastValue: 1, note: "" });
  return `${base.slice(0, -2)}${"x".repeat(Math.max(0, bytes - base.length - 1))}"},`;
}

/** The small valid export with its entries array left open, ready for more entries. */
function openTables(): string {
  const text = writeTables();
  if (!text.endsWith("]}")) throw new Error("the fixture no longer ends with its entries");
  return `${text.slice(0, -2)},`;
}

export async function startFakeClari(faults: Partial<Faults> = {}): Promise<FakeClari> {
  const apiKey = `k-${randomBytes(8).toString("hex")}`;
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const streams: ResultStream[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const statusOf = (job: FakeJob): JobStatus => {
    if (job.cancelledAt !== undefined) return "CANCELLED";
    const age = Date.now() - job.createdAt;
    return age >= job.durationMs ? "DONE" : age >= job.durationMs / 5 ? "STARTED" : "SCHEDULED";
  };

  /** A moment of ours on Clari's clock. */
  const clari = (ms: number): number => ms + fake.faults.clockSkewMs;

  const view = (job: FakeJob, status: JobStatus = statusOf(job)) => {
    const ended = status === "DONE" ? job.createdAt + job.durationMs : job.cancelledAt;
    const started = clari(job.createdAt);
    return {
      jobId: job.jobId,
      status,
      module: job.module,
      title: job.module === "AUDIT" ? "Audit export" : `Forecast export ${job.forecastId} ${job.timePeriod}`,
      startTime: started,
      endTime: ended === undefined ? null : clari(ended),
      expiredTime: ended === undefined ? null : clari(ended) + THIRTY_DAYS,
      fileName: job.module === "AUDIT" ? `clari_export_audit_${stamp(started)}.json` : `clari_export_forecast_${job.forecastId}_${job.timePeriod}_${stamp(started)}.json`,
      fileType: "JSON",
    };
  };

  const createJob = (module: FakeModule, forecastId: string, body: Record<string, unknown>, createdAt = Date.now(), posted = true): FakeJob => {
    const job: FakeJob = {
      jobId: randomBytes(12).toString("hex"),
      module,
      posted,
      forecastId,
      timePeriod: typeof body.timePeriod === "string" ? body.timePeriod : "2026_Q4",
      body,
      createdAt,
      durationMs: fake.faults.jobMs,
    };
    jobs.set(job.jobId, job);
    return job;
  };

  const later = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function queue(module: FakeModule, forecastId: string, raw: string, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return sendJson(res, 400, { code: "bad_request", message: "body is not JSON" });
    }
    const { postDelayMs, createJobOn, resetAfterCreate } = fake.faults;
    let job = createJobOn === "received" || postDelayMs === 0 ? createJob(module, forecastId, body) : undefined;
    if (postDelayMs > 0) await later(postDelayMs);
    if (closing) return;
    job ??= createJob(module, forecastId, body);
    if (resetAfterCreate) {
      res.socket?.destroy();
      return;
    }
    if (!res.destroyed) sendJson(res, 200, { jobId: job.jobId });
  }

  function pollAnswer(job: FakeJob, res: ServerResponse): void {
    const next = fake.faults.pollAnswers.shift() ?? "normal";
    if (next === "normal") return sendJson(res, 200, { job: view(job) });
    if ("http" in next) return sendJson(res, next.http, next.body ?? { code: `http_${next.http}`, message: `HTTP ${next.http}` });
    sendJson(res, 200, { job: view(job, next.jobStatus) });
  }

  async function results(job: FakeJob, res: ServerResponse): Promise<void> {
    if (statusOf(job) !== "DONE") return sendJson(res, 400, { code: "invalid_jobId", message: `Job ${job.jobId} is not DONE` });
    const stream: ResultStream = { jobId: job.jobId, openedAt: Date.now(), closedAt: undefined, bytesSent: 0 };
    streams.push(stream);
    res.on("close", () => (stream.closedAt = Date.now()));
    const write = (text: string): void => {
      stream.bytesSent += Buffer.byteLength(text);
      res.write(text);
    };
    const plan = fake.faults.results;
    if (plan.kind === "normal") {
      const text = writeTables();
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      write(text);
      res.end();
      return;
    }
    if (plan.kind === "stall") {
      res.writeHead(200, { "content-type": "application/json" });
      write("{");
      return;
    }
    if (plan.kind === "big") {
      const head = openTables();
      const tail = `${JSON.stringify({ userId: "280627:00E4M000001000AAA", fieldId: "f_commit", timeFrameId: "TF:2026-10-05", forecastValue: 1 })}]}`;
      const entry = fillerEntry(64 * 1024);
      const count = Math.max(1, Math.ceil((plan.bytes - Buffer.byteLength(head) - tail.length) / entry.length));
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(head) + count * entry.length + Buffer.byteLength(tail) });
      write(head);
      for (let i = 0; i < count && !res.destroyed; i++) {
        write(entry);
        if (res.writableNeedDrain) await drainOrClose(res);
      }
      if (!res.destroyed) {
        write(tail);
        res.end();
      }
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    write(openTables());
    const entry = fillerEntry(plan.chunkBytes);
    const until = Date.now() + (plan.maxMs ?? 180_000);
    while (!res.destroyed && !closing && Date.now() < until) {
      write(entry);
      await later(plan.everyMs);
    }
    if (!res.destroyed) res.destroy();
  }

  async function route(request: RecordedRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.apikey !== apiKey) return sendJson(res, 401, { code: "unauthorized", message: "Invalid authentication credentials" });
    if (fake.faults.hook && (await fake.faults.hook(request, req, res))) return;
    const url = new URL(request.path, "http://127.0.0.1");
    const parts = url.pathname.split("/").filter(Boolean);
    const [v4, area, kind, id, sub] = parts;
    if (v4 !== "v4") return sendJson(res, 404, { code: "not_found", message: `no route ${url.pathname}` });
    if (request.method === "POST" && area === "export" && kind === "forecast" && id && !sub) return queue("FORECAST", decodeURIComponent(id), request.body, res);
    if (request.method === "POST" && area === "export" && kind === "audit" && id === "events" && !sub) return queue("AUDIT", "", request.body, res);
    if (request.method === "GET" && area === "admin" && kind === "limits") {
      const running = [...jobs.values()].filter((j) => ["SCHEDULED", "STARTED"].includes(statusOf(j))).map((j) => j.jobId);
      return sendJson(res, 200, {
        jobs: { concurrentLimit: 3, monthlyQuota: 1000, runningJobIds: running, submittedJobIds: [...jobs.keys()], availableConcurrentLimit: Math.max(0, 3 - running.length), availableMonthlyQuota: 1000 - jobs.size },
      });
    }
    if (area !== "export" || kind !== "jobs") return sendJson(res, 404, { code: "not_found", message: `no route ${url.pathname}` });
    if (request.method === "GET" && !id) return sendJson(res, 200, { jobs: [...jobs.values()].map((j) => view(j)) });
    const job = id ? jobs.get(id) : undefined;
    if (!job) return sendJson(res, 404, { code: "job_not_found", message: `No job ${id}` });
    if (request.method === "GET" && !sub) return pollAnswer(job, res);
    if (request.method === "GET" && sub === "results") return results(job, res);
    if (request.method === "PATCH" && !sub) {
      if (statusOf(job) === "DONE") return sendJson(res, 400, { code: "export_failed_to_cancel", message: "The job is DONE" });
      job.cancelledAt ??= Date.now();
      return sendJson(res, 200, { status: "CANCELLED", successful: true });
    }
    sendJson(res, 404, { code: "not_found", message: `no route ${url.pathname}` });
  }

  const server = createServer((req, res) => {
    // Every answer, errors included, carries Clari's time, as a real server's does.
    res.sendDate = false;
    res.setHeader("date", new Date(clari(Date.now())).toUTCString());
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request: RecordedRequest = { method: req.method ?? "GET", path: req.url ?? "/", body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      requests.push(request);
      route(request, req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { code: "internal", message: String(error) });
        else res.destroy();
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeClari = {
    apiKey,
    v4Url: `http://127.0.0.1:${port}/v4`,
    v2Url: `http://127.0.0.1:${port}/v2`,
    faults: { ...DEFAULT_FAULTS, pollAnswers: [], ...faults },
    requests,
    posts: () => requests.filter((r) => r.method === "POST" && (r.path.startsWith("/v4/export/forecast/") || r.path === "/v4/export/audit/events")),
    plantJob: ({ module = "FORECAST", forecastId = "net_bookings", timePeriod = "2026_Q4", agoMs }) => createJob(module, forecastId, { timePeriod }, Date.now() - agoMs, false),
    cancels: () => requests.filter((r) => r.method === "PATCH" && /"CANCEL"/.test(r.body)),
    jobs: () => [...jobs.values()],
    statusOf,
    resultStreams: () => [...streams],
    openResultStreams: () => streams.filter((s) => s.closedAt === undefined).length,
    async close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sleep(0);
    },
  };
  return fake;
}

/** Resolves when `res` drains or closes, taking both listeners off (one left per wait piled up on a long body). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}
