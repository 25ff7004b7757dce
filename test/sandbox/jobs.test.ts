import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { call, clock, get, post, sandbox } from "./helpers.js";

const DAY = 86_400_000;

async function queue(sb: Sandbox, body: Record<string, unknown> = {}): Promise<string> {
  const r = await post(`${sb.v4Url}/export/forecast/net_bookings`, body);
  expect(r.status).toBe(200);
  return r.json.jobId as string;
}

const cancel = (sb: Sandbox, jobId: string, body: unknown = { type: "CANCEL" }) =>
  call(`${sb.v4Url}/export/jobs/${jobId}`, { method: "PATCH", headers: { apikey: "sandbox" }, body });

describe("export job lifecycle", () => {
  it("goes SCHEDULED -> STARTED -> DONE on the injected clock, with the documented fields", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 200 });
    const jobId = await queue(sb);
    const status = async () => (await get(`${sb.v4Url}/export/jobs/${jobId}`)).json.job;
    const j0 = await status();
    expect(j0).toMatchObject({
      jobId,
      userId: expect.any(Number),
      orgId: sb.org.orgId,
      title: "Net Bookings",
      module: "FORECAST",
      startTime: c.now(),
      endTime: null,
      expiredTime: null,
      version: 1,
      fileType: "JSON",
      status: "SCHEDULED",
      viewed: false,
      cellsTruncated: false,
      rowsTruncated: false,
      downloads: 0,
      currency: "USD",
    });
    expect(j0.fileName).toBe("clari_export_forecast_net_bookings_2026_Q4_20261119_150000.json");
    c.advance(50);
    expect((await status()).status).toBe("STARTED");
    const early = await get(`${sb.v4Url}/export/jobs/${jobId}/results`);
    expect(early.status).toBe(400);
    expect(early.json).toMatchObject({ code: "invalid_jobId", message: "Cannot retrieve data for job because it has not finished executing." });
    c.advance(150);
    const done = await status();
    expect(done.status).toBe("DONE");
    expect(done.endTime).toBe(c.now());
    expect(done.expiredTime).toBe(c.now() + 30 * DAY);
    expect((await get(`${sb.v4Url}/export/jobs/${jobId}/results`)).status).toBe(200);
    const r2 = await get(`${sb.v4Url}/export/jobs/${jobId}/results`);
    expect(r2.headers.get("content-disposition")).toContain(done.fileName);
    expect((await status())).toMatchObject({ downloads: 2, viewed: true });
    // expires 30 days after the end
    c.advance(30 * DAY);
    expect((await get(`${sb.v4Url}/export/jobs/${jobId}/results`)).json.message).toMatch(/expired/);
  });

  it("runs on real time with a short duration", async () => {
    const sb = await sandbox({ jobDurationMs: 150 });
    const jobId = await queue(sb);
    let status = "";
    for (let i = 0; i < 40 && status !== "DONE"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await get(`${sb.v4Url}/export/jobs/${jobId}`)).json.job.status;
    }
    expect(status).toBe("DONE");
  });

  it("wrapped (default) and bare (spec) job shapes", async () => {
    const wrapped = await sandbox();
    const w = await queue(wrapped);
    expect(Object.keys((await get(`${wrapped.v4Url}/export/jobs/${w}`)).json)).toEqual(["job"]);
    const list = (await get(`${wrapped.v4Url}/export/jobs`)).json;
    expect(list.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([w]);

    const bare = await sandbox({ shape: "bare" });
    const b = await queue(bare);
    expect((await get(`${bare.v4Url}/export/jobs/${b}`)).json.jobId).toBe(b);
    const bareList = (await get(`${bare.v4Url}/export/jobs`)).json;
    expect(Array.isArray(bareList)).toBe(true);
    expect(bareList[0].jobId).toBe(b);
  });

  it("cancels a running job, freeing quota and concurrency; cannot cancel once DONE", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 1000, monthlyQuota: 5 });
    const jobId = await queue(sb);
    let limits = (await get(`${sb.v4Url}/admin/limits`)).json.jobs;
    expect(limits).toEqual({
      concurrentLimit: 3, monthlyQuota: 5, runningJobIds: [jobId], submittedJobIds: [jobId],
      availableConcurrentLimit: 2, availableMonthlyQuota: 4,
    });
    const r = await cancel(sb, jobId);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "CANCELLED", successful: true });
    expect((await get(`${sb.v4Url}/export/jobs/${jobId}`)).json.job.status).toBe("CANCELLED");
    limits = (await get(`${sb.v4Url}/admin/limits`)).json.jobs;
    expect(limits).toMatchObject({ runningJobIds: [], availableConcurrentLimit: 3, availableMonthlyQuota: 5 });
    expect((await get(`${sb.v4Url}/export/jobs`)).json.jobs).toHaveLength(1); // still listed
    const cancelled = await get(`${sb.v4Url}/export/jobs/${jobId}/results`);
    expect(cancelled.json.code).toBe("invalid_jobId");

    const done = await queue(sb);
    c.advance(1000);
    const again = await cancel(sb, done);
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({
      code: "export_failed_to_cancel",
      namespace: "exports",
      message: "Cannot cancel the job because it already finished executing.",
    });
    expect((await cancel(sb, done, { type: "PAUSE" })).json.code).toBe("bad_request");
  });

  it("unknown job -> 404 in export form on status, cancel and results", async () => {
    const sb = await sandbox();
    for (const r of [
      await get(`${sb.v4Url}/export/jobs/0123456789abcdef01234567`),
      await get(`${sb.v4Url}/export/jobs/0123456789abcdef01234567/results`),
      await cancel(sb, "0123456789abcdef01234567"),
    ]) {
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ code: "job_not_found", namespace: "exports", orgId: sb.org.orgId });
    }
  });

  it("monthly quota reached -> 400 export_monthly_quota_reached", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 0, monthlyQuota: 2 });
    await queue(sb);
    await queue(sb);
    const r = await post(`${sb.v4Url}/export/forecast/net_bookings`, {});
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: "export_monthly_quota_reached",
      message: "The monthly quota limit of 2 or concurrent limit of 3 has been reached.",
    });
    // audit and activity exports spend the same quota
    expect((await post(`${sb.v4Url}/export/audit/events`, {})).json.code).toBe("export_monthly_quota_reached");
    expect((await post(`${sb.v4Url}/export/activity`, {})).json.code).toBe("export_monthly_quota_reached");
    expect(sb.stats()).toMatchObject({ jobsCreated: 2, quotaUsed: 2 });
    // the window is a rolling 30 days
    c.advance(30 * DAY + 1);
    expect((await post(`${sb.v4Url}/export/forecast/net_bookings`, {})).status).toBe(200);
  });

  it("concurrency full -> the same 400 until a slot frees", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 1000, concurrentLimit: 2 });
    const a = await queue(sb);
    await queue(sb);
    const r = await post(`${sb.v4Url}/export/forecast/net_bookings`, {});
    expect(r.status).toBe(400);
    expect(r.json.code).toBe("export_monthly_quota_reached");
    expect(r.json.message).toBe("The monthly quota limit of 1000 or concurrent limit of 2 has been reached.");
    expect((await get(`${sb.v4Url}/admin/limits`)).json.jobs.availableConcurrentLimit).toBe(0);
    sb.finishJob(a);
    expect((await post(`${sb.v4Url}/export/forecast/net_bookings`, {})).status).toBe(200);
    c.advance(1000);
    expect((await get(`${sb.v4Url}/admin/limits`)).json.jobs.runningJobIds).toEqual([]);
  });

  it("finishJob and expireJob controls", async () => {
    const sb = await sandbox({ jobDurationMs: 60_000 });
    const a = await queue(sb);
    sb.finishJob(a, "FAILED");
    expect((await get(`${sb.v4Url}/export/jobs/${a}`)).json.job.status).toBe("FAILED");
    const failed = await get(`${sb.v4Url}/export/jobs/${a}/results`);
    expect(failed.json).toMatchObject({ code: "invalid_jobId" });
    const b = await queue(sb);
    sb.expireJob(b);
    const job = (await get(`${sb.v4Url}/export/jobs/${b}`)).json.job;
    expect(job.status).toBe("DONE");
    expect(job.expiredTime).toBeLessThan(Date.now() + 1);
    const expired = await get(`${sb.v4Url}/export/jobs/${b}/results`);
    expect(expired.status).toBe(400);
    expect(expired.json).toMatchObject({ code: "invalid_jobId", message: "Cannot retrieve data for job because it has expired." });
    expect(() => sb.finishJob("nope")).toThrow();
  });

  it("bare mode omits runningJobIds when nothing runs, as the spec says", async () => {
    const sb = await sandbox({ shape: "bare" });
    expect((await get(`${sb.v4Url}/admin/limits`)).json.jobs).not.toHaveProperty("runningJobIds");
  });
});

describe("job faults", () => {
  it("failJobs ends new jobs FAILED or ABORTED", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 100, faults: { failJobs: "FAILED" } });
    const a = await queue(sb);
    sb.setFaults({ failJobs: "ABORTED" });
    const b = await queue(sb);
    sb.setFaults({ failJobs: "none" });
    const d = await queue(sb);
    c.advance(100);
    const st = async (id: string) => (await get(`${sb.v4Url}/export/jobs/${id}`)).json.job.status;
    expect([await st(a), await st(b), await st(d)]).toEqual(["FAILED", "ABORTED", "DONE"]);
  });

  it("stuckJobs never leave STARTED and hold their concurrency slot", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 100, concurrentLimit: 1, faults: { stuckJobs: true } });
    const a = await queue(sb);
    c.advance(10 * DAY);
    expect((await get(`${sb.v4Url}/export/jobs/${a}`)).json.job.status).toBe("STARTED");
    expect((await post(`${sb.v4Url}/export/forecast/net_bookings`, {})).json.code).toBe("export_monthly_quota_reached");
    expect((await cancel(sb, a)).status).toBe(200);
  });
});
