/**
 * One export, many askers: two server processes on one cache folder, identical requests written
 * differently, a short freshness window, and cancellation by one of several callers. The promise
 * under test: the same export is never queued twice and no caller loses its jobId.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, sleep, startServer, stopAll, tempDir, until } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

describe.sequential("one export, many askers", () => {
  it("baseline: one export against the fake ends done with one POST", async () => {
    fake = await startFakeClari({ jobMs: 800 });
    const server = await startServer(fake);
    const { answer } = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(answer?.isError, answer?.text).toBe(false);
    expect(answer?.structured.outcome).toBe("done");
    expect(answer?.structured.jobId).toBe(fake.jobs()[0]?.jobId);
    expect(fake.posts()).toHaveLength(1);
  });

  it("1a. two servers on one cache folder asked the same export at the same moment queue it once", async () => {
    fake = await startFakeClari({ jobMs: 1500 });
    const cacheDir = await tempDir();
    const [a, b] = await Promise.all([startServer(fake, { cacheDir }), startServer(fake, { cacheDir })]);
    const [ra, rb] = await Promise.all([a.call(EXPORT_TOOL, forecastArgs(10)), b.call(EXPORT_TOOL, forecastArgs(10))]);
    expect(fake.posts()).toHaveLength(1);
    expect(ra.answer?.structured.jobId).toBeDefined();
    expect(rb.answer?.structured.jobId).toBe(ra.answer?.structured.jobId);
  });

  it("1b. server B asked the export server A finished reuses it without a POST", async () => {
    fake = await startFakeClari({ jobMs: 800 });
    const cacheDir = await tempDir();
    const [a, b] = await Promise.all([startServer(fake, { cacheDir }), startServer(fake, { cacheDir })]);
    const first = await a.call(EXPORT_TOOL, forecastArgs(10));
    expect(first.answer?.structured.outcome).toBe("done");
    const second = await b.call(EXPORT_TOOL, forecastArgs(10));
    expect(second.answer?.structured.outcome).toBe("reused");
    expect(second.answer?.structured.jobId).toBe(first.answer?.structured.jobId);
    expect(fake.posts()).toHaveLength(1);
  });

  it("1c. server B resumes the job server A left running, without a POST", async () => {
    fake = await startFakeClari({ jobMs: 5000 });
    const cacheDir = await tempDir();
    const [a, b] = await Promise.all([startServer(fake, { cacheDir }), startServer(fake, { cacheDir })]);
    const first = await a.call(EXPORT_TOOL, forecastArgs(1));
    expect(first.answer?.structured.outcome).toBe("running");
    const second = await b.call(EXPORT_TOOL, forecastArgs(10));
    expect(second.answer?.structured.jobId).toBe(first.answer?.structured.jobId);
    expect(second.answer?.structured.outcome).toBe("done");
    expect(fake.posts()).toHaveLength(1);
  });

  it("5a. typesToExport reordered or repeated is the same export: one POST", async () => {
    fake = await startFakeClari({ jobMs: 800 });
    const server = await startServer(fake);
    const first = await server.call(EXPORT_TOOL, forecastArgs(10, ["quota", "forecast"]));
    const second = await server.call(EXPORT_TOOL, forecastArgs(10, ["forecast", "quota", "forecast"]));
    expect(first.answer?.structured.outcome).toBe("done");
    expect(second.answer?.structured.jobId).toBe(first.answer?.structured.jobId);
    expect(fake.posts()).toHaveLength(1);
  });

  it("5b. --freshness-minutes 0 resumes a running job but does not reuse a finished export", async () => {
    fake = await startFakeClari({ jobMs: 3000 });
    const server = await startServer(fake, { flags: ["--freshness-minutes", "0"] });
    const first = await server.call(EXPORT_TOOL, forecastArgs(1));
    expect(first.answer?.structured.outcome).toBe("running");
    const resumed = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(resumed.answer?.structured.jobId).toBe(first.answer?.structured.jobId);
    expect(resumed.answer?.structured.outcome).toBe("done");
    expect(fake.posts()).toHaveLength(1);
    fake.faults.jobMs = 500;
    const again = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(fake.posts()).toHaveLength(2);
    expect(again.answer?.structured.outcome).toBe("done");
    expect(again.answer?.structured.jobId).not.toBe(first.answer?.structured.jobId);
  });

  it("6a. of two identical calls in flight, cancelling the one that queued sends no cancel and the other ends done", async () => {
    fake = await startFakeClari({ jobMs: 3000 });
    const server = await startServer(fake);
    const abort = new AbortController();
    const first = server.call(EXPORT_TOOL, forecastArgs(15), { signal: abort.signal });
    expect(await until(() => fake!.posts().length === 1, 5000)).toBe(true);
    const second = server.call(EXPORT_TOOL, forecastArgs(15));
    await sleep(500);
    abort.abort();
    expect((await first).answer).toBeUndefined();
    const other = await second;
    expect(other.answer?.structured.outcome).toBe("done");
    expect(other.answer?.structured.jobId).toBe(fake.jobs()[0]?.jobId);
    await sleep(500);
    expect(fake.cancels()).toHaveLength(0);
    expect(fake.posts()).toHaveLength(1);
  });

  it("6b. when the only caller cancels, the Clari job is cancelled", async () => {
    fake = await startFakeClari({ jobMs: 10_000 });
    const server = await startServer(fake);
    const abort = new AbortController();
    const call = server.call(EXPORT_TOOL, forecastArgs(15), { signal: abort.signal });
    expect(await until(() => fake!.posts().length === 1, 5000)).toBe(true);
    await sleep(800);
    abort.abort();
    await call;
    expect(await until(() => fake!.cancels().length === 1, 5000)).toBe(true);
    expect(fake.cancels()[0]?.path).toBe(`/v4/export/jobs/${fake.jobs()[0]?.jobId}`);
  });
});
