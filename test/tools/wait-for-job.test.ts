/**
 * clari_wait_for_job: waits on a job it did not queue (an export queued straight with the sandbox,
 * a bulk upload), never queues one, and ends with what the sandbox says of that job.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForJobTool } from "../../src/tools/catalog/wait-for-job.js";
import type { RawTables } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectForecastSummary } from "./raw-forecast.js";
import { call, ingestRecord, raw, rawBulkUpload, rawIngestJob, rawJobs, rawQueueForecast } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { jobDurationMs: 800 } });
});
afterAll(() => h.close());

describe("clari_wait_for_job", () => {
  it("waits for an export queued elsewhere, stores it and summarises its file, without queuing another", async () => {
    const jobId = await rawQueueForecast(h, "renewals");
    expect((await rawJobs(h)).find((j) => j.jobId === jobId)?.status).toMatch(/^(SCHEDULED|STARTED)$/);
    const { out } = await call(h, waitForJobTool, { jobId, waitSeconds: 30 });
    expect(out).toMatchObject({ jobId, outcome: "done", status: "DONE", resourceUri: `clari://exports/${jobId}` });
    expect((await rawJobs(h)).find((j) => j.jobId === jobId)?.status).toBe("DONE");
    expect(h.sandbox.stats().jobsCreated).toBe(1);
    expectForecastSummary(out.summary, await raw<RawTables>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}/results`));
  });

  it("with kind ingest, waits for a bulk upload and reports the status Clari gives it", async () => {
    const jobId = await rawBulkUpload(h, "account", [{ sourceEntity: "health", records: [ingestRecord("001Z000000xOn4bIAA", { healthScore: 71 })] }]);
    expect((await rawIngestJob(h, jobId)).status).toMatch(/^(QUEUED|IN_PROGRESS)$/);
    const { out } = await call(h, waitForJobTool, { jobId, kind: "ingest", waitSeconds: 30 });
    const job = await rawIngestJob(h, jobId);
    expect(job.status).toBe("SUCCESS");
    expect(out).toMatchObject({ jobId, outcome: "done", status: job.status });
    expect(out.summary).toBeUndefined();
  });
});
