/**
 * Retries, rate limits and the no-duplicate-job rule, against the sandbox's fault knobs.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ClariApiError, ClariNetworkError, ClariResponseError } from "../../src/client/errors.js";
import { waitForJob } from "../../src/client/jobs.js";
import { backoffDelay, createRetryCallback, parseRetryAfter, shouldRetry } from "../../src/client/retry-policy.js";
import { RateLimiter } from "../../src/client/rate-limiter.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { startClariClient } from "../helpers/clari.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: Parameters<typeof startSandbox>[0] = {}, clientOverrides: Parameters<typeof startClariClient>[1] = {}) {
  const sandbox = await startSandbox({ jobDurationMs: 100, ...options });
  const client = await startClariClient(sandbox, clientOverrides);
  cleanups.push(async () => {
    await client.close();
    await sandbox.close();
  });
  return { sandbox, client };
}

const route = (sandbox: Sandbox, key: string): number => sandbox.stats().byRoute[key] ?? 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("retry policy", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    const now = Date.parse("2026-11-23T10:00:00Z");
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    const settings = { maxRetries: 5, minDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, settings, () => 0)).toBe(50);
    expect(backoffDelay(1, settings, () => 1)).toBe(100);
    expect(backoffDelay(3, settings, () => 1)).toBe(400);
    expect(backoffDelay(10, settings, () => 1)).toBe(1000);
  });

  it("makes every retry take a rate-limiter slot", async () => {
    const calls: string[] = [];
    const limiter = { acquire: async () => void calls.push("acquire") };
    const retry = createRetryCallback({ maxRetries: 3, minDelayMs: 10, maxDelayMs: 5000 }, limiter);
    const outcome = await new Promise<unknown>((resolve) =>
      retry(Object.assign(new Error("429"), { statusCode: 429, headers: { "retry-after": "0.05" } }), { state: { counter: 1 }, opts: { method: "GET", path: "/", origin: "http://x" } } as never, resolve),
    );
    expect(outcome).toBeNull(); // retry granted
    expect(calls).toEqual(["acquire"]);
  });

  it("retries a POST only when the request provably never left", () => {
    expect(shouldRetry("POST", { code: "ECONNREFUSED" })).toBe(true);
    expect(shouldRetry("POST", { code: "ECONNRESET" })).toBe(false);
    expect(shouldRetry("POST", { statusCode: 503 })).toBe(false);
    expect(shouldRetry("GET", { statusCode: 503 })).toBe(true);
    expect(shouldRetry("GET", { statusCode: 400 })).toBe(false);
    expect(shouldRetry("GET", { code: "UND_ERR_HEADERS_TIMEOUT" })).toBe(true);
  });
});

describe("rate limiter", () => {
  it("lets at most N requests start in any rolling second", async () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    let fourth = false;
    void limiter.acquire().then(() => (fourth = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(fourth).toBe(false);
    now = 1100;
    await new Promise((r) => setTimeout(r, 1100));
    expect(fourth).toBe(true);
  });
});

describe("against a faulty Clari", () => {
  it("retries GETs through a burst of 5xx and succeeds", async () => {
    const { sandbox, client } = await setup({ seed: 3 }, { retry: { maxRetries: 10, minDelayMs: 5, maxDelayMs: 20 } });
    sandbox.setFaults({ errorRate: 0.3, errorStatus: 503 });
    for (let i = 0; i < 10; i++) expect((await client.getLimits()).monthlyQuota).toBe(1000);
    expect(route(sandbox, "GET /v4/admin/limits")).toBeGreaterThan(10);
  });

  it("gives up on a GET after the bounded number of retries with the last status", async () => {
    const { sandbox, client } = await setup();
    sandbox.setFaults({ errorRate: 1, errorStatus: 502 });
    const error = (await client.getLimits().catch((e: unknown) => e)) as ClariApiError;
    expect(error).toBeInstanceOf(ClariApiError);
    expect(error.status).toBe(502);
    expect(route(sandbox, "GET /v4/admin/limits")).toBe(4); // 1 + maxRetries 3
  });

  it("never retries a POST that reached the server: one 503 means one attempt and no second job", async () => {
    const { sandbox, client } = await setup();
    sandbox.setFaults({ errorRate: 1, errorStatus: 503 });
    await expect(client.exportForecast("net_bookings")).rejects.toBeInstanceOf(ClariApiError);
    expect(route(sandbox, "POST /v4/export/forecast/{forecastId}")).toBe(1);
    sandbox.setFaults({ errorRate: 0, resetRate: 1 });
    const reset = (await client.exportForecast("net_bookings").catch((e: unknown) => e)) as ClariNetworkError;
    expect(reset).toBeInstanceOf(ClariNetworkError);
    expect(reset.mayHaveReachedServer).toBe(true);
    expect(route(sandbox, "POST /v4/export/forecast/{forecastId}")).toBe(2);
  });

  it("retries a POST refused before sending, and queues exactly one job once Clari is up", async () => {
    const port = await freePort();
    const first = await startSandbox({ port });
    const client = await startClariClient(first, { retry: { maxRetries: 6, minDelayMs: 100, maxDelayMs: 200 } });
    await first.close();
    let later: Sandbox | undefined;
    setTimeout(() => {
      void startSandbox({ port }).then((s) => (later = s));
    }, 150);
    const { jobId } = await client.exportForecast("net_bookings");
    expect(jobId).toMatch(/^[0-9a-f]{24}$/);
    expect(later!.stats().jobsCreated).toBe(1);
    await client.close();
    await later!.close();
  });

  it("reports a refused connection as not sent when Clari stays down", async () => {
    const port = await freePort();
    const down = await startSandbox({ port });
    const client = await startClariClient(down, { retry: { maxRetries: 1, minDelayMs: 10, maxDelayMs: 20 } });
    await down.close();
    const error = (await client.exportForecast("net_bookings").catch((e: unknown) => e)) as ClariNetworkError;
    expect(error).toBeInstanceOf(ClariNetworkError);
    expect(error.kind).toBe("connection");
    expect(error.mayHaveReachedServer).toBe(false);
    await client.close();
  });

  it("honours 429 Retry-After in seconds and as a date", async () => {
    for (const retryAfter of ["seconds", "date"] as const) {
      const { sandbox, client } = await setup({ rateLimitPerSecond: 3 }, { requestsPerSecond: 0, retry: { maxRetries: 4, minDelayMs: 10, maxDelayMs: 3000 } });
      sandbox.setFaults({ retryAfter });
      const results = await Promise.all(Array.from({ length: 6 }, () => client.getLimits()));
      expect(results).toHaveLength(6);
      expect(route(sandbox, "GET /v4/admin/limits")).toBeGreaterThan(6);
    }
  });

  it("queues bursts in its own rate limiter instead of drawing 429s", async () => {
    // 35 at once would draw 429s from a server allowing 30 a second; the client sends 10 a window.
    // The sandbox runs in this process and times a request when its one thread gets to it (tens
    // of ms each while cold), so the margin between 10 and 30 absorbs one window's spread.
    const { sandbox, client } = await setup({ rateLimitPerSecond: 30 }, { requestsPerSecond: 10, retry: { maxRetries: 0 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 35 }, () => client.getLimits()));
    expect(route(sandbox, "GET /v4/admin/limits")).toBe(35); // no 429 was retried
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000); // four windows: 10, 10, 10, 5
  });

  it("reports a truncated body as a response error, not a crash", async () => {
    const { sandbox, client } = await setup();
    sandbox.setFaults({ truncateRate: 1 });
    await expect(client.listExportJobs()).rejects.toBeInstanceOf(ClariResponseError);
  });

  it("times out a slow call within its budget", async () => {
    const { sandbox, client } = await setup({}, { callTimeoutMs: 300 });
    sandbox.setFaults({ latencyMs: 2000 });
    const started = Date.now();
    const error = (await client.getLimits().catch((e: unknown) => e)) as ClariNetworkError;
    expect(error).toBeInstanceOf(ClariNetworkError);
    expect(error.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("waitForJob", () => {
  it("stops at once when aborted mid-poll and keeps the jobId", async () => {
    const { sandbox, client } = await setup({ faults: { stuckJobs: true } });
    const { jobId } = await client.exportForecast("net_bookings");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 250);
    const started = Date.now();
    const result = await waitForJob(client, "export", jobId, { timeoutMs: 20_000, signal: controller.signal, poll: { firstPollMs: 50, intervalMs: 100 } });
    expect(result.outcome).toBe("aborted");
    expect(result.jobId).toBe(jobId);
    expect(Date.now() - started).toBeLessThan(600);
    expect(sandbox.stats().jobsCreated).toBe(1);
  });

  it("returns timeout with the last status when the deadline passes", async () => {
    const { client } = await setup({ faults: { stuckJobs: true } });
    const { jobId } = await client.exportForecast("net_bookings");
    const progress: string[] = [];
    const result = await waitForJob(client, "export", jobId, { timeoutMs: 400, poll: { firstPollMs: 50, intervalMs: 100 }, onProgress: (p) => progress.push(p.status) });
    expect(result).toMatchObject({ outcome: "timeout", status: "STARTED", jobId });
    expect(progress.length).toBe(result.attempts);
  });

  it("reports FAILED and ABORTED jobs as failed", async () => {
    for (const status of ["FAILED", "ABORTED"] as const) {
      const { client } = await setup({ faults: { failJobs: status } });
      const { jobId } = await client.exportForecast("net_bookings");
      const result = await waitForJob(client, "export", jobId, { timeoutMs: 5000, poll: { firstPollMs: 50, intervalMs: 50 } });
      expect(result).toMatchObject({ outcome: "failed", status });
    }
  });

  it("rides out transient poll failures", async () => {
    const { sandbox, client } = await setup({}, { retry: { maxRetries: 0 } });
    const { jobId } = await client.exportForecast("net_bookings");
    sandbox.setFaults({ errorRate: 0.5 });
    const result = await waitForJob(client, "export", jobId, { timeoutMs: 10_000, poll: { firstPollMs: 30, intervalMs: 30 } });
    expect(result.outcome).toBe("done");
  });
});
