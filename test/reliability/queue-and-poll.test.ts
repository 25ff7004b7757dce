/**
 * A jobId is never lost and a job never queued twice, whatever Clari does around the queue POST
 * and the status polls: one odd 4xx while polling, a POST answered after the server gave up on
 * it, a server killed while its POST is in flight.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeClari, type FakeClari, type PollAnswer } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, sleep, startServer, stopAll, until } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

const TRANSIENT_4XX: Array<[string, PollAnswer]> = [
  ["408", { http: 408, body: { code: "request_timeout", message: "Request Timeout" } }],
  ["403", { http: 403, body: { code: "forbidden", message: "Forbidden" } }],
  ["404 job_not_found", { http: 404, body: { code: "job_not_found", message: "Job not found" } }],
];

describe.sequential("2. one transient 4xx while polling", () => {
  it.each(TRANSIENT_4XX)("a single %s does not lose the job", async (_name, answer) => {
    fake = await startFakeClari({ jobMs: 2000, pollAnswers: [answer] });
    const server = await startServer(fake);
    const first = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(fake.posts()).toHaveLength(1);
    const jobId = fake.jobs()[0]!.jobId;
    expect(first.answer, String(first.error)).toBeDefined();
    if (first.answer!.isError) {
      expect(first.answer!.text).toContain(jobId);
      expect(first.answer!.text).toContain("clari_wait_for_job");
    } else {
      expect(first.answer!.structured.jobId).toBe(jobId);
    }
    const again = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(jobId);
    expect(["done", "reused"]).toContain(again.answer?.structured.outcome);
    expect(fake.posts()).toHaveLength(1);
  });
});

describe.sequential("4. an ambiguous queue POST", () => {
  it("a POST answered after --queue-timeout-seconds is not reported as cancelled, and asking again finds its job", async () => {
    fake = await startFakeClari({ jobMs: 1000, postDelayMs: 3000, createJobOn: "answered" });
    const server = await startServer(fake, { flags: ["--queue-timeout-seconds", "2"] });
    const first = await server.call(EXPORT_TOOL, forecastArgs(5), { timeoutMs: 15_000 });
    expect(first.answer, String(first.error)).toBeDefined();
    expect(first.answer!.structured.outcome).not.toBe("cancelled");
    expect(first.answer!.text).not.toMatch(/\bcancell?ed\b/i);
    expect(await until(() => fake!.jobs().length === 1, 5000)).toBe(true);
    await sleep(2000);
    fake.faults.postDelayMs = 0;
    const again = await server.call(EXPORT_TOOL, forecastArgs(10), { timeoutMs: 20_000 });
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(fake.jobs()[0]!.jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(fake.jobs()).toHaveLength(1);
  });

  it("a server killed while its POST is in flight, restarted on the same folder, queues nothing more", async () => {
    fake = await startFakeClari({ jobMs: 1000, postDelayMs: 3000, createJobOn: "received" });
    const server = await startServer(fake);
    const inFlight = server.call(EXPORT_TOOL, forecastArgs(10));
    expect(await until(() => fake!.posts().length === 1, 5000)).toBe(true);
    await sleep(300);
    await server.kill();
    await inFlight;
    fake.faults.postDelayMs = 0;
    const restarted = await server.restart();
    const again = await restarted.call(EXPORT_TOOL, forecastArgs(10), { timeoutMs: 20_000 });
    expect(fake.jobs()).toHaveLength(1);
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(fake.jobs()[0]!.jobId);
  });
});
