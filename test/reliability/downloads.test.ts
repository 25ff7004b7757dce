/**
 * Results that never end or are too big: every call returns by its deadline with the jobId, the
 * download stops once no one waits for it, and disk and memory stay under their caps, with a
 * cache folder and with --no-cache.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeClari, type FakeClari, type ResultsPlan } from "./fake-clari.js";
import { EXPORT_TOOL, folderBytes, forecastArgs, sampler, startServer, stopAll, storeDir, until, type ServerProcess } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

const WAIT_SECONDS = 5;
const CAP_MB = 2;
const MB = 1024 * 1024;
/** Headroom over the cap for the index and file-system rounding. */
const DISK_SLACK_BYTES = MB / 2;
const RSS_LIMIT_MB = 256;
const FLAGS = ["--wait-seconds", String(WAIT_SECONDS), "--max-download-mb", String(CAP_MB)];
/** About 1.3 MB/s: the cap is crossed within two seconds. */
const DRIP: ResultsPlan = { kind: "drip", chunkBytes: 64 * 1024, everyMs: 50 };
/** About 40 KB/s: far under the cap while anyone waits. */
const SLOW_DRIP: ResultsPlan = { kind: "drip", chunkBytes: 4 * 1024, everyMs: 100 };
/** About 25 MB/s: a server that keeps it in memory grows fast. */
const FLOOD: ResultsPlan = { kind: "drip", chunkBytes: 256 * 1024, everyMs: 10 };

/** Ask for the export, waiting at most waitSeconds + 5 s on the client side (plus margin). */
async function askBounded(server: ServerProcess, waitSeconds = WAIT_SECONDS, signal?: AbortSignal) {
  const result = await server.call(EXPORT_TOOL, { ...forecastArgs(waitSeconds) }, { timeoutMs: (waitSeconds + 8) * 1000, ...(signal ? { signal } : {}) });
  return result;
}

function mentionsJob(answer: { text: string; structured: Record<string, unknown> } | undefined, jobId: string): boolean {
  return answer !== undefined && (answer.text.includes(jobId) || answer.structured.jobId === jobId);
}

const allClosedWithin = (ms: number) => until(() => fake!.resultStreams().length > 0 && fake!.openResultStreams() === 0, ms);

describe.sequential("3. drip-fed and oversized results", () => {
  it("a drip-fed download: the call returns by its deadline naming the jobId, the download stops, disk and RSS stay capped", async () => {
    fake = await startFakeClari({ jobMs: 500, results: DRIP });
    const server = await startServer(fake, { flags: FLAGS });
    const disk = sampler(() => folderBytes(server.cacheDir));
    const rss = sampler(() => server.rssMb());
    const result = await askBounded(server);
    const jobId = fake.jobs()[0]!.jobId;
    expect(result.answer, `no answer in ${result.ms} ms: ${result.error}`).toBeDefined();
    expect(result.ms).toBeLessThanOrEqual((WAIT_SECONDS + 5) * 1000);
    expect(mentionsJob(result.answer, jobId), result.answer?.text).toBe(true);
    expect(await allClosedWithin(3000)).toBe(true);
    expect(await disk.stop()).toBeLessThanOrEqual(CAP_MB * MB + DISK_SLACK_BYTES);
    expect(await rss.stop()).toBeLessThanOrEqual(RSS_LIMIT_MB);
    expect(fake.posts()).toHaveLength(1);
  });

  it("a slow drip is dropped once the call that waited for it has returned", async () => {
    fake = await startFakeClari({ jobMs: 500, results: SLOW_DRIP });
    const server = await startServer(fake, { flags: FLAGS });
    const result = await askBounded(server);
    expect(result.answer, `no answer in ${result.ms} ms: ${result.error}`).toBeDefined();
    expect(result.ms).toBeLessThanOrEqual((WAIT_SECONDS + 5) * 1000);
    expect(mentionsJob(result.answer, fake.jobs()[0]!.jobId), result.answer?.text).toBe(true);
    expect(await allClosedWithin(3000)).toBe(true);
  });

  it("a slow drip is dropped once its only caller cancels (MCP cancel)", async () => {
    fake = await startFakeClari({ jobMs: 500, results: SLOW_DRIP });
    const server = await startServer(fake, { flags: FLAGS });
    const abort = new AbortController();
    const call = askBounded(server, 30, abort.signal);
    expect(await until(() => fake!.openResultStreams() === 1, 10_000)).toBe(true);
    abort.abort();
    await call;
    expect(await allClosedWithin(3000)).toBe(true);
    expect(fake.posts()).toHaveLength(1);
  });

  it("a body larger than --max-download-mb is refused with a message naming the cap and leaves nothing in files/", async () => {
    fake = await startFakeClari({ jobMs: 500, results: { kind: "big", bytes: (CAP_MB + 1) * MB } });
    const server = await startServer(fake, { flags: FLAGS });
    const result = await askBounded(server);
    expect(result.answer, `no answer in ${result.ms} ms: ${result.error}`).toBeDefined();
    expect(result.answer!.structured.outcome).not.toBe("done");
    expect(result.answer!.text).toMatch(new RegExp(`\\b${CAP_MB}\\s?MB\\b|max-download-mb`, "i"));
    expect(mentionsJob(result.answer, fake.jobs()[0]!.jobId), result.answer?.text).toBe(true);
    const files = await readdir(path.join(await storeDir(server.cacheDir), "files"));
    expect(files).toEqual([]);
  });

  it("--no-cache: a flood of results keeps the call bounded in time and the process bounded in RSS", async () => {
    fake = await startFakeClari({ jobMs: 500, results: FLOOD });
    const server = await startServer(fake, { flags: ["--no-cache", ...FLAGS] });
    const rss = sampler(() => server.rssMb());
    const result = await askBounded(server);
    const peak = await rss.stop();
    expect(result.answer, `no answer in ${result.ms} ms: ${result.error}`).toBeDefined();
    expect(result.ms).toBeLessThanOrEqual((WAIT_SECONDS + 5) * 1000);
    expect(mentionsJob(result.answer, fake.jobs()[0]!.jobId), result.answer?.text).toBe(true);
    expect(peak).toBeLessThanOrEqual(RSS_LIMIT_MB);
    expect(await allClosedWithin(3000)).toBe(true);
  });
});
