/** The fake Clari itself: what the reliability suite relies on it to do. */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { sleep, until } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function api(path: string, init: RequestInit & { key?: string | null } = {}) {
  const { key, ...rest } = init;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.apikey = key ?? fake!.apiKey;
  return fetch(`${fake!.v4Url}${path}`, { ...rest, headers });
}

const queue = () => api("/export/forecast/net_bookings", { method: "POST", body: JSON.stringify({ timePeriod: "2026_Q4" }) });

describe("the fake Clari", () => {
  it("refuses a missing or wrong apikey with 401 and records the request", async () => {
    fake = await startFakeClari();
    expect((await api("/export/jobs", { key: null })).status).toBe(401);
    expect((await api("/export/jobs", { key: "wrong" })).status).toBe(401);
    expect(fake.requests).toHaveLength(2);
  });

  it("runs a job SCHEDULED -> STARTED -> DONE and serves valid tables results", async () => {
    fake = await startFakeClari({ jobMs: 500 });
    const { jobId } = (await (await queue()).json()) as { jobId: string };
    expect(jobId).toMatch(/^[0-9a-f]{24}$/);
    const status = async () => ((await (await api(`/export/jobs/${jobId}`)).json()) as { job: { status: string; fileName: string } }).job;
    expect((await status()).status).toBe("SCHEDULED");
    expect((await status()).fileName).toMatch(/^clari_export_forecast_net_bookings_2026_Q4_\d{8}_\d{6}\.json$/);
    expect((await api(`/export/jobs/${jobId}/results`)).status).toBe(400);
    await sleep(550);
    expect((await status()).status).toBe("DONE");
    const results = (await (await api(`/export/jobs/${jobId}/results`)).json()) as Record<string, unknown[]>;
    expect(Object.keys(results).sort()).toEqual(["entries", "fields", "timeFrames", "timePeriods", "users"]);
    const list = (await (await api("/export/jobs")).json()) as { jobs: Array<{ jobId: string }> };
    expect(list.jobs.map((j) => j.jobId)).toEqual([jobId]);
    expect(fake.posts()).toHaveLength(1);
  });

  it("answers polls with the given sequence, then normally; cancels on PATCH", async () => {
    fake = await startFakeClari({ jobMs: 5000, pollAnswers: [{ http: 404, body: { code: "job_not_found" } }, { jobStatus: "STARTED" }] });
    const { jobId } = (await (await queue()).json()) as { jobId: string };
    expect((await api(`/export/jobs/${jobId}`)).status).toBe(404);
    expect(((await (await api(`/export/jobs/${jobId}`)).json()) as { job: { status: string } }).job.status).toBe("STARTED");
    const cancel = await api(`/export/jobs/${jobId}`, { method: "PATCH", body: JSON.stringify({ type: "CANCEL" }) });
    expect(await cancel.json()).toEqual({ status: "CANCELLED", successful: true });
    expect(((await (await api(`/export/jobs/${jobId}`)).json()) as { job: { status: string } }).job.status).toBe("CANCELLED");
    expect(fake.cancels()).toHaveLength(1);
  });

  it("creates a delayed POST's job on receipt or on answer, as asked", async () => {
    fake = await startFakeClari({ postDelayMs: 300, createJobOn: "answered" });
    const answered = queue();
    await sleep(100);
    expect(fake.jobs()).toHaveLength(0);
    await answered;
    expect(fake.jobs()).toHaveLength(1);
    fake.faults.createJobOn = "received";
    const received = queue();
    await sleep(100);
    expect(fake.jobs()).toHaveLength(2);
    await received;
  });

  it("can create the job and then reset the connection instead of answering", async () => {
    fake = await startFakeClari({ resetAfterCreate: true });
    await expect(queue()).rejects.toThrow();
    expect(fake.jobs()).toHaveLength(1);
  });

  it("drips results until the client goes away, and notes when it did", async () => {
    fake = await startFakeClari({ jobMs: 0, results: { kind: "drip", chunkBytes: 1024, everyMs: 20 } });
    const { jobId } = (await (await queue()).json()) as { jobId: string };
    const abort = new AbortController();
    const response = await fetch(`${fake.v4Url}/export/jobs/${jobId}/results`, { headers: { apikey: fake.apiKey }, signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    expect(fake.openResultStreams()).toBe(1);
    abort.abort();
    expect(await until(() => fake!.openResultStreams() === 0, 2000)).toBe(true);
  });

  it("serves a big body of the size asked, as valid JSON", async () => {
    fake = await startFakeClari({ jobMs: 0, results: { kind: "big", bytes: 1024 * 1024 } });
    const { jobId } = (await (await queue()).json()) as { jobId: string };
    const text = await (await api(`/export/jobs/${jobId}/results`)).text();
    expect(text.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(text.length).toBeLessThan(1024 * 1024 + 128 * 1024);
    expect(Object.keys(JSON.parse(text) as object)).toContain("entries");
  });
});
