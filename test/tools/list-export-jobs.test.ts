/** clari_list_export_jobs: the sandbox's job list, newest first, and which of its files this server has stored. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportForecast } from "../../src/tools/catalog/export-forecast.js";
import { listExportJobs } from "../../src/tools/catalog/list-export-jobs.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, rawJobs, rawQueueForecast } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_list_export_jobs", () => {
  it("lists every job Clari has, newest first, marking the stored one, and filters by status", async () => {
    const stored = (await call(h, exportForecast, { forecastId: "net_bookings", waitSeconds: 30 })).out.jobId;
    await new Promise((r) => setTimeout(r, 5)); // distinct start times
    const queued = await rawQueueForecast(h, "net_arr");
    const jobs = await rawJobs(h);
    expect(jobs.map((j) => j.jobId).sort()).toEqual([stored, queued].sort());

    const { out } = await call(h, listExportJobs, {});
    expect(out.total).toBe(jobs.length);
    const newestFirst = [...jobs].sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
    expect(out.jobs.map((j) => [j.jobId, j.status, j.stored])).toEqual(newestFirst.map((j) => [j.jobId, j.status, j.jobId === stored]));
    expect(out.jobs[0]!.jobId).toBe(queued);

    const done = await call(h, listExportJobs, { status: "DONE", limit: 1 });
    expect(done.out).toMatchObject({ total: jobs.filter((j) => j.status === "DONE").length });
    expect(done.out.jobs.map((j) => j.jobId)).toEqual([stored]);
  });
});
