/** clari_get_limits: the quota and concurrency numbers are the sandbox's own /admin/limits answer. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLimits } from "../../src/tools/catalog/get-limits.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw, rawQueueForecast } from "./tool-call.js";

interface RawLimits {
  jobs: { monthlyQuota: number; availableMonthlyQuota: number; concurrentLimit: number; availableConcurrentLimit: number; runningJobIds: string[]; submittedJobIds: string[] };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { monthlyQuota: 7, concurrentLimit: 2, faults: { stuckJobs: true } } });
});
afterAll(() => h.close());

describe("clari_get_limits", () => {
  it("reports what /admin/limits says, with a job holding a slot", async () => {
    const jobId = await rawQueueForecast(h);
    const { out, text } = await call(h, getLimits, {});
    const { jobs } = await raw<RawLimits>("GET", `${h.sandbox.v4Url}/admin/limits`);
    expect(jobs.runningJobIds).toEqual([jobId]);
    expect(out).toMatchObject({
      monthlyQuota: jobs.monthlyQuota,
      availableMonthlyQuota: jobs.availableMonthlyQuota,
      concurrentLimit: jobs.concurrentLimit,
      availableConcurrentLimit: jobs.availableConcurrentLimit,
      runningJobIds: jobs.runningJobIds,
      submittedJobCount: jobs.submittedJobIds.length,
    });
    expect([out.monthlyQuota, out.availableMonthlyQuota, out.concurrentLimit, out.availableConcurrentLimit]).toEqual([7, 6, 2, 1]);
    expect(text).toContain(`running: ${jobId}`);
  });
});
