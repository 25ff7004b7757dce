/**
 * clari_export_forecast: the job it queues is the sandbox's, its summary agrees with the export
 * file the sandbox serves, and a job still running comes back with the exact call to continue.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportForecast } from "../../src/tools/catalog/export-forecast.js";
import type { RawTables } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectForecastSummary } from "./raw-forecast.js";
import { call, raw, rawJobs } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_export_forecast", () => {
  it("waits for the job, stores its file and summarises what the file holds", async () => {
    const { out, text, result } = await call(h, exportForecast, { forecastId: "net_bookings", waitSeconds: 30 });
    expect(out).toMatchObject({ outcome: "done", status: "DONE", resourceUri: `clari://exports/${out.jobId}` });
    const job = (await rawJobs(h)).find((j) => j.jobId === out.jobId);
    expect(job).toMatchObject({ status: "DONE", module: "FORECAST" });
    expect(h.sandbox.stats().jobsCreated).toBe(1);
    const file = await raw<RawTables>("GET", `${h.sandbox.v4Url}/export/jobs/${out.jobId}/results`);
    const summary = expectForecastSummary(out.summary, file);
    expect(out.context.forecastWeek).toBe(summary.dataWeek?.text);
    expect(result.content).toContainEqual(expect.objectContaining({ type: "resource_link", uri: out.resourceUri }));
    expect(text).toContain(`clari_query (export_id '${out.jobId}')`);
  });

  it("answers a job still running with its jobId and the call to continue, having queued it once", async () => {
    const before = h.sandbox.stats().jobsCreated;
    const { out } = await call(h, exportForecast, { forecastId: "net_arr", waitSeconds: 0 });
    expect(out.outcome).toBe("running");
    expect(out.next).toEqual({ tool: "clari_wait_for_job", arguments: { jobId: out.jobId }, why: expect.any(String) });
    expect(out.summary).toBeUndefined();
    expect((await rawJobs(h)).map((j) => j.jobId)).toContain(out.jobId);
    expect(h.sandbox.stats().jobsCreated).toBe(before + 1);
  });
});
