/**
 * A restart of the server mid-wait loses nothing: the store's journal knows the running job,
 * asking again resumes it without queuing another, and a finished export survives the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { startHarness, tempDir } from "../helpers/harness.js";

let sandbox: Sandbox;
let dir: { dir: string; remove(): Promise<void> };
beforeAll(async () => {
  sandbox = await startSandbox({ jobDurationMs: 100, faults: { stuckJobs: true } });
  dir = await tempDir();
});
afterAll(async () => {
  await sandbox.close();
  await dir.remove();
});

describe("server restart", () => {
  it("a server shutting down mid-wait leaves the job running and journalled", async () => {
    const own = await startSandbox({ faults: { stuckJobs: true } });
    const folder = await tempDir();
    const h = await startHarness({ existingSandbox: own, cacheDir: folder.dir });
    const call = h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_arr", waitSeconds: 30 } }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1200));
    const [job] = await h.deps.journal.all();
    expect(job).toBeDefined();
    await h.close();
    await call;
    await new Promise((r) => setTimeout(r, 200));
    const next = await startHarness({ existingSandbox: own, cacheDir: folder.dir });
    expect((await next.clari.getExportJob(job!.jobId!)).status).toBe("STARTED");
    expect((await next.deps.journal.all()).map((p) => p.jobId)).toContain(job!.jobId);
    await next.close();
    await own.close();
    await folder.remove();
  });

  it("resumes a running job after a restart and serves the finished export after another", async () => {
    const args = { forecastId: "net_bookings", waitSeconds: 1 };
    const first = await startHarness({ existingSandbox: sandbox, cacheDir: dir.dir });
    const running = (await first.client.callTool({ name: "clari_export_forecast", arguments: args })).structuredContent as { jobId: string; outcome: string };
    expect(running.outcome).toBe("running");
    await first.close();

    const second = await startHarness({ existingSandbox: sandbox, cacheDir: dir.dir });
    sandbox.finishJob(running.jobId, "DONE");
    const resumed = (await second.client.callTool({ name: "clari_export_forecast", arguments: args })).structuredContent as { jobId: string; outcome: string };
    expect(resumed).toMatchObject({ jobId: running.jobId, outcome: "done" });
    expect(sandbox.stats().jobsCreated).toBe(1);
    await second.close();

    const third = await startHarness({ existingSandbox: sandbox, cacheDir: dir.dir });
    const requestsBefore = sandbox.stats().requests;
    const reused = (await third.client.callTool({ name: "clari_export_forecast", arguments: args })).structuredContent as { jobId: string; outcome: string };
    expect(reused).toMatchObject({ jobId: running.jobId, outcome: "reused" });
    expect(sandbox.stats().requests).toBe(requestsBefore); // answered from disk, no call to Clari
    await third.close();
  });
});
