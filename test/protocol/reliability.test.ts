/**
 * Reliability through MCP under the sandbox's faults: every case ends in a clear result, never
 * loses a jobId and never queues a second job.
 */
import { describe, expect, it } from "vitest";
import { ClariResponseError } from "../../src/client/errors.js";
import { downloadExport } from "../../src/exports/jobs/download.js";
import { harnessPerTest, textOf, type Harness } from "../helpers/harness.js";

const harness = harnessPerTest();
type Out = { jobId: string; outcome: string; status: string };
const out = (result: unknown): Out => (result as { structuredContent: Out }).structuredContent;
const exportCall = (h: Harness, args: Record<string, unknown> = {}) => h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", ...args } });

describe("faults while queuing", () => {
  it("a 5xx on the POST is reported, not retried, and queues nothing", async () => {
    const h = await harness();
    h.sandbox.setFaults({ errorRate: 1, errorStatus: 503 });
    const result = await exportCall(h);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/HTTP 503/);
    expect(h.sandbox.stats().jobsCreated).toBe(0);
    expect(h.sandbox.stats().byRoute["POST /v4/export/forecast/{forecastId}"]).toBe(1);
  });

  it("a reset after sending says the job may exist and where to look, instead of retrying", async () => {
    const h = await harness();
    h.sandbox.setFaults({ resetRate: 1 });
    const result = await exportCall(h);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/may or may not have queued it[\s\S]*Nothing was queued again/);
    expect(h.sandbox.stats().byRoute["POST /v4/export/forecast/{forecastId}"]).toBe(1);
  });

  it("429 without Retry-After is retried with backoff and succeeds", async () => {
    const h = await harness({ sandbox: { rateLimitPerSecond: 2 }, client: { requestsPerSecond: 0, retry: { maxRetries: 6, minDelayMs: 200, maxDelayMs: 1000 } } });
    h.sandbox.setFaults({ retryAfter: "none" });
    const results = await Promise.all(Array.from({ length: 4 }, () => h.client.callTool({ name: "clari_get_limits", arguments: {} })));
    expect(results.every((r) => !r.isError)).toBe(true);
  });
});

describe("faults while waiting", () => {
  it("rides out bursts of 5xx, truncated bodies and resets during polling", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 1500 } });
    const pending = exportCall(h);
    await new Promise((r) => setTimeout(r, 200)); // the POST has gone through; now break the polls
    h.sandbox.setFaults({ errorRate: 0.3, truncateRate: 0.2, resetRate: 0.1 });
    setTimeout(() => h.sandbox.setFaults({ errorRate: 0, truncateRate: 0, resetRate: 0 }), 1300); // healthy again before DONE
    const result = await pending;
    expect(out(result).jobId).toMatch(/^[0-9a-f]{24}$/);
    expect(["done", "running"]).toContain(out(result).outcome);
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("a Clari that stops answering ends the wait with the jobId, and the job resumes later", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 800 }, client: { callTimeoutMs: 300, retry: { maxRetries: 0 } } });
    const pending = exportCall(h, { waitSeconds: 3 });
    await new Promise((r) => setTimeout(r, 150));
    h.sandbox.setFaults({ latencyMs: 2000 });
    const result = await pending;
    h.sandbox.setFaults({ latencyMs: 0 });
    expect(out(result)).toMatchObject({ outcome: "running" });
    const resumed = await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId: out(result).jobId, waitSeconds: 10 } });
    expect(out(resumed)).toMatchObject({ outcome: "done", jobId: out(result).jobId });
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("reports an ABORTED job as an error with its jobId", async () => {
    const h = await harness({ sandbox: { faults: { failJobs: "ABORTED" } } });
    const result = await exportCall(h);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ended ABORTED.*Ask for the export again/s);
    expect(textOf(result)).toContain(out(result).jobId);
  });
});

describe("damaged downloads", () => {
  it("refuses to keep a truncated export file, and fetches it again without a new job", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 50 } });
    const { jobId } = await h.clari.exportForecast("net_bookings");
    await new Promise((r) => setTimeout(r, 200));
    const job = await h.clari.getExportJob(jobId);
    h.sandbox.setFaults({ truncateRate: 1 }); // only the results download is affected: the job is already known
    const damaged = await downloadExport(jobId, job, h.deps).catch((e: unknown) => e);
    expect(damaged).toBeInstanceOf(ClariResponseError);
    expect((damaged as Error).message).toMatch(/was damaged .* not kept/);
    expect(h.deps.store.get(jobId)).toBeUndefined();
    h.sandbox.setFaults({ truncateRate: 0 });
    const again = await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId } });
    expect(out(again)).toMatchObject({ outcome: "done", jobId });
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });
});

describe("download failures", () => {
  it("a DONE job whose download fails still hands back its jobId and the call that fetches it", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 50 } });
    const { jobId } = await h.clari.exportForecast("net_bookings");
    await new Promise((r) => setTimeout(r, 200));
    h.sandbox.setFaults({ truncateRate: 1 });
    const realGetJob = h.clari.getExportJob.bind(h.clari);
    // Let the status poll through cleanly so only the download meets the fault.
    h.clari.getExportJob = async (id, opts) => {
      h.sandbox.setFaults({ truncateRate: 0 });
      const job = await realGetJob(id, opts);
      h.sandbox.setFaults({ truncateRate: 1 });
      return job;
    };
    const failed = await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId } });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toContain(`Export ${jobId} is DONE but fetching it failed`);
    expect(textOf(failed)).toContain(`clari_wait_for_job {"jobId":"${jobId}"}`);
    h.sandbox.setFaults({ truncateRate: 0 });
    h.clari.getExportJob = realGetJob;
    expect(out(await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId } }))).toMatchObject({ outcome: "done", jobId });
  });
});

describe("results of a running job", () => {
  it("says the job is still running and how to wait, without asking Clari for results", async () => {
    const h = await harness({ sandbox: { faults: { stuckJobs: true } } });
    const { jobId } = await h.clari.exportForecast("net_bookings");
    const result = await h.client.callTool({ name: "clari_get_export_results", arguments: { jobId } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`Export ${jobId} is (SCHEDULED|STARTED).*clari_wait_for_job`));
    expect(h.sandbox.stats().byRoute["GET /v4/export/jobs/{jobId}/results"] ?? 0).toBe(0);
  });
});

describe("expired results", () => {
  it("explains that an expired export must be queued again", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 50 } });
    const { jobId } = await h.clari.exportForecast("net_bookings");
    await new Promise((r) => setTimeout(r, 200));
    h.sandbox.expireJob(jobId);
    const result = await h.client.callTool({ name: "clari_get_export_results", arguments: { jobId } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`Export ${jobId} expired on .*Ask for the export again to queue a new one`));
    expect(h.sandbox.stats().byRoute["GET /v4/export/jobs/{jobId}/results"] ?? 0).toBe(0);
  });
});
