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

  /** Two servers on one cache folder and one key, against a fake whose jobs take jobMs. */
  async function twoServers(jobMs: number) {
    fake = await startFakeClari({ jobMs });
    const cacheDir = await tempDir();
    return Promise.all([startServer(fake, { cacheDir }), startServer(fake, { cacheDir })]);
  }

  /** Server A asks (waiting waitA seconds) and must end with outcomeA; then server B asks. */
  async function askAThenB(jobMs: number, waitA: number, outcomeA: string) {
    const [a, b] = await twoServers(jobMs);
    const first = await a.call(EXPORT_TOOL, forecastArgs(waitA));
    expect(first.answer?.structured.outcome).toBe(outcomeA);
    const second = await b.call(EXPORT_TOOL, forecastArgs(10));
    expect(second.answer?.structured.jobId).toBe(first.answer?.structured.jobId);
    expect(fake!.posts()).toHaveLength(1);
    return second.answer?.structured.outcome;
  }

  it("1a. two servers on one cache folder asked the same export at the same moment queue it once", async () => {
    const [a, b] = await twoServers(1500);
    const [ra, rb] = await Promise.all([a.call(EXPORT_TOOL, forecastArgs(10)), b.call(EXPORT_TOOL, forecastArgs(10))]);
    expect(fake!.posts()).toHaveLength(1);
    expect(ra.answer?.structured.jobId).toBeDefined();
    expect(rb.answer?.structured.jobId).toBe(ra.answer?.structured.jobId);
  });

  it("1b. server B asked the export server A finished reuses it without a POST", async () => {
    expect(await askAThenB(800, 10, "done")).toBe("reused");
  });

  it("1c. server B resumes the job server A left running, without a POST", async () => {
    expect(await askAThenB(5000, 1, "running")).toBe("done");
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

  /** One server, one export call that can be aborted, returned once its POST has reached the fake. */
  async function cancellableCall(jobMs: number) {
    fake = await startFakeClari({ jobMs });
    const server = await startServer(fake);
    const abort = new AbortController();
    const call = server.call(EXPORT_TOOL, forecastArgs(15), { signal: abort.signal });
    expect(await until(() => fake!.posts().length === 1, 5000)).toBe(true);
    return { server, abort, call };
  }

  it("6a. of two identical calls in flight, cancelling the one that queued sends no cancel and the other ends done", async () => {
    const { server, abort, call: first } = await cancellableCall(3000);
    const second = server.call(EXPORT_TOOL, forecastArgs(15));
    await sleep(500);
    abort.abort();
    expect((await first).answer).toBeUndefined();
    const other = await second;
    expect(other.answer?.structured.outcome).toBe("done");
    expect(other.answer?.structured.jobId).toBe(fake!.jobs()[0]?.jobId);
    await sleep(500);
    expect(fake!.cancels()).toHaveLength(0);
    expect(fake!.posts()).toHaveLength(1);
  });

  it("6b. when the only caller cancels, the Clari job is cancelled", async () => {
    const { abort, call } = await cancellableCall(10_000);
    await sleep(800);
    abort.abort();
    await call;
    expect(await until(() => fake!.cancels().length === 1, 5000)).toBe(true);
    expect(fake!.cancels()[0]?.path).toBe(`/v4/export/jobs/${fake!.jobs()[0]?.jobId}`);
  });
});
