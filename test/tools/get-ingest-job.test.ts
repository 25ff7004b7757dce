/** clari_get_ingest_job: a bulk ingest job as the sandbox's GET /v2/ingest/job/{jobId} reports it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getIngestJob } from "../../src/tools/catalog/get-ingest-job.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, ingestRecord, rawBulkUpload, rawIngestJob } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { jobDurationMs: 200 } });
});
afterAll(() => h.close());

describe("clari_get_ingest_job", () => {
  it("reports a finished upload's status and message, and a failed one's reason", async () => {
    const ok = await rawBulkUpload(h, "account", [{ sourceEntity: "health", records: [ingestRecord("001Z000000xOn4bIAA", { healthScore: 60 })] }]);
    const bad = await rawBulkUpload(h, "account", [{ sourceEntity: "health", records: [{ id: "001Z000000xOn4bIAB", createdAt: 2000, updatedAt: 1000 }] }]);
    for (const jobId of [ok, bad]) while (/^(QUEUED|IN_PROGRESS)$/.test((await rawIngestJob(h, jobId)).status)) await new Promise((r) => setTimeout(r, 25));
    for (const jobId of [ok, bad]) {
      const job = await rawIngestJob(h, jobId);
      const { out, text } = await call(h, getIngestJob, { jobId });
      expect(out.job).toMatchObject({ jobId, status: job.status, message: job.message });
      expect(text).toMatch(new RegExp(`^Ingest job ${jobId}: ${job.status}`));
    }
    expect((await rawIngestJob(h, ok)).status).toBe("SUCCESS");
    expect((await rawIngestJob(h, bad)).status).toBe("VALIDATION_FAILED");
    const failed = await call(h, getIngestJob, { jobId: bad });
    expect(failed.out.job.reason).toMatch(/updatedAt/);
  });
});
