/** clari_cancel_export_job: the sandbox then reports the job CANCELLED and its concurrency slot free. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelExportJob } from "../../src/tools/catalog/cancel-export-job.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw, rawQueueForecast, type RawJob } from "./tool-call.js";

interface RawLimits {
  jobs: { availableConcurrentLimit: number; runningJobIds: string[] };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { faults: { stuckJobs: true } } });
});
afterAll(() => h.close());

describe("clari_cancel_export_job", () => {
  it("cancels a running job: Clari shows it CANCELLED and the slot it held free again", async () => {
    const jobId = await rawQueueForecast(h);
    const limits = () => raw<RawLimits>("GET", `${h.sandbox.v4Url}/admin/limits`).then((l) => l.jobs);
    const before = await limits();
    expect(before.runningJobIds).toEqual([jobId]);
    const { out, text } = await call(h, cancelExportJob, { jobId });
    const { job } = await raw<{ job: RawJob }>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}`);
    expect(job.status).toBe("CANCELLED");
    expect(out).toMatchObject({ jobId, status: job.status, successful: true });
    const after = await limits();
    expect(after.runningJobIds).toEqual([]);
    expect(after.availableConcurrentLimit).toBe(before.availableConcurrentLimit + 1);
    expect(text).toContain("quota is freed");
  });
});
