/** clari_ingest_bulk: the upload becomes the sandbox's bulk job, and the tool ends with the status the sandbox gives it. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestBulk } from "../../src/tools/catalog/ingest-bulk.js";
import { startHarness, tempDir, type Harness } from "../helpers/harness.js";
import { call, ingestRecord, rawIngestJob } from "./tool-call.js";

let h: Harness;
let folder: { dir: string; remove(): Promise<void> };
beforeAll(async () => {
  folder = await tempDir();
  h = await startHarness({ flags: ["--ingest-dir", folder.dir] });
});
afterAll(async () => {
  await h.close();
  await folder.remove();
});

const datasets = [{ sourceEntity: "health", records: [ingestRecord("006Z000000xOn4bIAA", { riskLevel: "High" }), ingestRecord("006Z000000xOn4bIAB", { riskLevel: "Low" })] }];

describe("clari_ingest_bulk", () => {
  it("uploads inline datasets and waits for the job to succeed", async () => {
    const { out, text } = await call(h, ingestBulk, { entity: "opportunity", datasets, waitSeconds: 30 });
    const job = await rawIngestJob(h, out.jobId);
    expect(job.status).toBe("SUCCESS");
    expect(out).toMatchObject({ status: job.status, outcome: "done" });
    expect(h.sandbox.stats().ingestJobsCreated).toBe(1);
    expect(text).toContain(`Bulk ingest ${out.jobId} for opportunity: SUCCESS`);
  });

  it("uploads a file from the ingest folder under its own name, and hands back a job still running", async () => {
    await writeFile(path.join(folder.dir, "risk.json"), JSON.stringify(datasets));
    const { out } = await call(h, ingestBulk, { entity: "opportunity", filePath: "risk.json", waitSeconds: 0 });
    const job = (await rawIngestJob(h, out.jobId)) as { status: string; fileName?: string };
    expect(job.fileName).toBe("risk.json");
    expect(out.outcome).toBe("running");
    expect(out.status).toMatch(/^(QUEUED|IN_PROGRESS)$/);
    expect(h.sandbox.stats().ingestJobsCreated).toBe(2);
  });
});
