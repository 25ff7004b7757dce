/** clari_get_export_job: one job as the sandbox's GET /export/jobs/{jobId} has it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getExportJob } from "../../src/tools/catalog/get-export-job.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw, rawQueueForecast, type RawJob } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { faults: { stuckJobs: true } } });
});
afterAll(() => h.close());

describe("clari_get_export_job", () => {
  it("gives a running job and then the same job finished, as the sandbox reports each", async () => {
    const jobId = await rawQueueForecast(h, "net_arr");
    // A stuck job is SCHEDULED briefly, then STARTED for good: ask once it stays put.
    while ((await raw<{ job: RawJob }>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}`)).job.status !== "STARTED") await new Promise((r) => setTimeout(r, 20));
    for (const finish of [false, true]) {
      if (finish) h.sandbox.finishJob(jobId, "DONE");
      const { out, text } = await call(h, getExportJob, { jobId });
      const { job } = await raw<{ job: RawJob & { endTime: number | null } }>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}`);
      expect(out.job).toMatchObject({ jobId, status: job.status, module: job.module, title: job.title, fileName: job.fileName, startTime: job.startTime });
      expect(out.job.status).toBe(finish ? "DONE" : "STARTED");
      expect(text).toMatch(new RegExp(`^Job ${jobId}: ${job.status}; FORECAST ${job.title}`));
      if (finish) expect(out.job.endTime).toBe(job.endTime);
    }
  });
});
