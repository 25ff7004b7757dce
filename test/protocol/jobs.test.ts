/**
 * Job-creating tools through the MCP client: waiting with progress, reuse without quota,
 * resumable handles, cancellation that cancels the Clari job, failed jobs, quota refusals.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "../../src/exports/jobs/journal.js";
import { requestKey } from "../../src/exports/jobs/request-key.js";
import { harnessPerTest, textOf, type Harness } from "../helpers/harness.js";

const harness = harnessPerTest();

const exportCall = (h: Harness, args: Record<string, unknown> = {}) => h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", ...args } });

type Structured = Record<string, unknown> & { jobId: string; outcome: string; status: string };
const structured = (result: unknown): Structured => (result as { structuredContent: Structured }).structuredContent;

describe("clari_export_forecast", () => {
  it("exports, waits with progress and answers with a summary and a resource link", async () => {
    const h = await harness();
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = await h.client.callTool(
      { name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } },
      { onprogress: (p) => progress.push(p) },
    );
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({ outcome: "done", status: "DONE", resourceUri: `clari://exports/${out.jobId}` });
    expect((out.summary as { userCount: number }).userCount).toBe(h.sandbox.org.users.length);
    expect((result.content as Array<{ type: string; uri?: string }>).some((c) => c.type === "resource_link" && c.uri === `clari://exports/${out.jobId}`)).toBe(true);
    expect(textOf(result)).toMatch(/DONE/);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.message).toMatch(out.jobId);
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("answers an identical request from the store without spending quota, unless fresh", async () => {
    const h = await harness();
    const args = { forecastId: "net_bookings", timePeriod: h.sandbox.org.currentTimePeriod() };
    const first = structured(await h.client.callTool({ name: "clari_export_forecast", arguments: args }));
    const quota = h.sandbox.stats().quotaUsed;
    const second = await h.client.callTool({ name: "clari_export_forecast", arguments: args });
    expect(structured(second)).toMatchObject({ outcome: "reused", jobId: first.jobId });
    expect(textOf(second)).toMatch(/no quota spent/);
    expect(h.sandbox.stats().quotaUsed).toBe(quota);
    const third = structured(await h.client.callTool({ name: "clari_export_forecast", arguments: { ...args, fresh: true } }));
    expect(third.jobId).not.toBe(first.jobId);
    expect(h.sandbox.stats().quotaUsed).toBe(quota + 1);
  });

  it("returns a resumable handle when the wait runs out, and never queues a second job", async () => {
    const h = await harness({ sandbox: { faults: { stuckJobs: true } } });
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 1 } });
    const out = structured(result);
    expect(out).toMatchObject({ outcome: "running", status: "STARTED" });
    expect(out.next).toEqual({ tool: "clari_wait_for_job", arguments: { jobId: out.jobId }, why: expect.any(String) });
    expect(textOf(result)).toContain(`clari_wait_for_job {"jobId":"${out.jobId}"}`);

    // Asking again while it runs resumes the same job instead of queuing another.
    const again = structured(await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 0 } }));
    expect(again.jobId).toBe(out.jobId);
    expect(h.sandbox.stats().jobsCreated).toBe(1);

    h.sandbox.finishJob(out.jobId, "DONE");
    const resumed = await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId: out.jobId, waitSeconds: 5 } });
    expect(structured(resumed)).toMatchObject({ outcome: "done", jobId: out.jobId });
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("stops polling and cancels the Clari job when the request is cancelled", async () => {
    const h = await harness({ sandbox: { faults: { stuckJobs: true } } });
    const controller = new AbortController();
    const call = h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 30 } }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 1500));
    controller.abort();
    await expect(call).rejects.toThrow();
    const deadline = Date.now() + 3000;
    let jobs = await h.clari.listExportJobs();
    while (jobs[0]?.status !== "CANCELLED" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      jobs = await h.clari.listExportJobs();
    }
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.status).toBe("CANCELLED");
    expect(h.sandbox.stats().quotaUsed).toBe(0);
  });

  it("two identical requests at once share one job", async () => {
    const h = await harness();
    const [a, b] = await Promise.all([exportCall(h), exportCall(h)]);
    expect(structured(a).jobId).toBe(structured(b).jobId);
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("a waiter that stops waiting never cancels the job for others", async () => {
    const h = await harness({ sandbox: { faults: { stuckJobs: true } } });
    const first = structured(await exportCall(h, { waitSeconds: 0 }));
    const controller = new AbortController();
    const waiting = h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId: first.jobId, waitSeconds: 30 } }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 1200));
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.clari.getExportJob(first.jobId)).status).toBe("STARTED");
  });

  it("a job Clari no longer knows is dropped from the journal and the request queues a new one", async () => {
    const h = await harness({ sandbox: { faults: { stuckJobs: true } } });
    const args = { forecastId: "net_bookings" };
    const key = requestKey("forecast", { ...args, typesToExport: ["forecast", "quota", "forecast_updated"], includeHistorical: true, exportFormat: "JSON", schedule: "NONE" });
    await h.deps.journal.put({ jobId: "ffffffffffffffffffffffff", kind: "forecast", requestKey: key, request: {}, state: "queued", intentAt: Date.now(), queuedAt: Date.now(), owner: SELF });
    const gone = await exportCall(h, { waitSeconds: 0 });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toMatch(/404|no longer knows/);
    expect(await h.deps.journal.get(key)).toBeUndefined();
    const again = structured(await exportCall(h, { waitSeconds: 0 }));
    expect(again.jobId).not.toBe("ffffffffffffffffffffffff");
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("reports a FAILED job as an error naming the status and what to do", async () => {
    const h = await harness({ sandbox: { faults: { failJobs: "FAILED" } } });
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ended FAILED/);
    expect(textOf(result)).toMatch(/schedule:ONCE/);
    expect(structured(result).jobId).toMatch(/^[0-9a-f]{24}$/);
  });

  it("explains a quota refusal with what remains and which jobs hold the slots", async () => {
    const h = await harness({ sandbox: { concurrentLimit: 1, faults: { stuckJobs: true } } });
    const first = structured(await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 0 } }));
    const refused = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_arr", waitSeconds: 0 } });
    expect(refused.isError).toBe(true);
    const text = textOf(refused);
    expect(text).toMatch(/concurrent-job limit is reached/);
    expect(text).toContain(first.jobId);
    expect(text).toMatch(/monthly quota \d+ of 1000 left/);
  });

  it("turns an unknown forecastId into an actionable error", async () => {
    const h = await harness();
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "nope" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no_such_forecast_config[\s\S]*What to do: .*Forecast Tab/);
  });

  it("refuses bad input before any request reaches Clari", async () => {
    const h = await harness();
    const before = h.sandbox.stats().requests;
    for (const args of [{ forecastId: "../admin" }, { forecastId: "net_bookings", timePeriod: "Q4" }, { forecastId: "net_bookings", typesToExport: ["crm_total"] }, {}]) {
      const result = await h.client.callTool({ name: "clari_export_forecast", arguments: args });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Input validation error/);
    }
    expect(h.sandbox.stats().requests).toBe(before);
  });
});

describe("audit and activity exports", () => {
  it("exports audit events and activities with summaries", async () => {
    const h = await harness();
    const audit = await h.client.callTool({ name: "clari_export_audit_events", arguments: {} });
    expect(structured(audit)).toMatchObject({ outcome: "done" });
    expect((structured(audit).summary as { events: number }).events).toBeGreaterThan(0);
    const activity = await h.client.callTool({ name: "clari_export_activity", arguments: { startDate: new Date(Date.now() - 30 * 86_400_000).toISOString(), endDate: new Date().toISOString() } });
    expect(structured(activity)).toMatchObject({ outcome: "done" });
    expect(textOf(activity)).toMatch(/activities/);
  });
});
