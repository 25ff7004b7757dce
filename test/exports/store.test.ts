/**
 * The export store: files and index on disk with tight permissions, surviving a restart,
 * expiring with the job, reuse by request key, and the journal of jobs still running.
 */
import { readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestKey } from "../../src/exports/jobs/request-key.js";
import { Journal, SELF } from "../../src/exports/jobs/journal.js";
import { ExportStore } from "../../src/exports/store/store.js";
import { tempDir } from "../helpers/harness.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
async function folder(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.remove);
  return path.join(t.dir, "store");
}

const HOUR = 3_600_000;
const meta = (jobId: string, now: number, request: Record<string, unknown> = { forecastId: "net_bookings" }) => ({
  jobId,
  kind: "forecast" as const,
  requestKey: requestKey("forecast", request),
  request,
  mimeType: "application/json" as const,
  completedAt: now,
  expiresAt: now + 30 * 24 * HOUR,
});

describe("ExportStore", () => {
  it("writes files 0600 in a 0700 folder and reads them back after a restart", async () => {
    const dir = await folder();
    const store = await ExportStore.open(dir);
    await store.save(meta("aaaaaaaaaaaaaaaaaaaaaaaa", Date.now()), Buffer.from('{"entries":[]}'));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, "files"))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, "files", "aaaaaaaaaaaaaaaaaaaaaaaa"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, "index.json"))).mode & 0o777).toBe(0o600);

    const reopened = await ExportStore.open(dir);
    expect(reopened.get("aaaaaaaaaaaaaaaaaaaaaaaa")).toMatchObject({ bytes: 14, kind: "forecast" });
    expect((await reopened.read("aaaaaaaaaaaaaaaaaaaaaaaa")).toString()).toBe('{"entries":[]}');
  });

  it("removes entries and files once the job's expiredTime has passed", async () => {
    const dir = await folder();
    let now = Date.now();
    const store = await ExportStore.open(dir, { now: () => now });
    await store.save({ ...meta("bbbbbbbbbbbbbbbbbbbbbbbb", now), expiresAt: now + HOUR }, "x");
    now += 2 * HOUR;
    expect(store.get("bbbbbbbbbbbbbbbbbbbbbbbb")).toBeUndefined();
    expect(await store.purgeExpired()).toBe(1);
    expect(await readdir(path.join(dir, "files"))).toEqual([]);
    const reopened = await ExportStore.open(dir, { now: () => now });
    expect(reopened.list()).toEqual([]);
  });

  it("finds a fresh export for the same request regardless of key order, and not a stale one", async () => {
    let now = Date.now();
    const store = await ExportStore.open(undefined, { now: () => now });
    await store.save(meta("cccccccccccccccccccccccc", now, { forecastId: "net_bookings", timePeriod: "2026_Q4" }), "x");
    const sameRequest = requestKey("forecast", { timePeriod: "2026_Q4", forecastId: "net_bookings" });
    expect(store.findFresh(sameRequest, HOUR)?.jobId).toBe("cccccccccccccccccccccccc");
    expect(store.findFresh(requestKey("forecast", { forecastId: "net_arr", timePeriod: "2026_Q4" }), HOUR)).toBeUndefined();
    now += 2 * HOUR;
    expect(store.findFresh(sameRequest, HOUR)).toBeUndefined();
  });

  it("journals running jobs across a restart, apart from the index", async () => {
    const dir = await folder();
    const store = await ExportStore.open(dir);
    const key = requestKey("forecast", { forecastId: "net_bookings" });
    await Journal.open(dir, store.lock, () => undefined).put({ jobId: "dddddddddddddddddddddddd", kind: "forecast", requestKey: key, request: {}, state: "queued", intentAt: Date.now(), queuedAt: Date.now(), owner: SELF });
    await writeFile(path.join(dir, "index.json"), "null");
    const reopened = await ExportStore.open(dir);
    expect((await Journal.open(dir, reopened.lock, () => undefined).get(key))?.jobId).toBe("dddddddddddddddddddddddd");
  });

  it("merges what two processes sharing one folder write, instead of overwriting", async () => {
    const dir = await folder();
    const one = await ExportStore.open(dir);
    const two = await ExportStore.open(dir);
    await one.save(meta("eeeeeeeeeeeeeeeeeeeeeeee", Date.now()), "1");
    await two.save(meta("ffffffffffffffffffffffff", Date.now(), { forecastId: "net_arr" }), "2");
    const reopened = await ExportStore.open(dir);
    expect(reopened.list().map((e) => e.jobId).sort()).toEqual(["eeeeeeeeeeeeeeeeeeeeeeee", "ffffffffffffffffffffffff"]);
  });

  it("stays under its size cap: the least recently used exports go first, the one just saved stays", async () => {
    const dir = await folder();
    const store = await ExportStore.open(dir, { maxBytes: 25 });
    await store.save(meta("111111111111111111111111", Date.now()), "x".repeat(10));
    await store.save(meta("222222222222222222222222", Date.now(), { forecastId: "b" }), "y".repeat(10));
    await store.read("111111111111111111111111"); // used: 222... is now the least recently used
    await store.save(meta("333333333333333333333333", Date.now(), { forecastId: "c" }), "z".repeat(10));
    expect(store.list().map((e) => e.jobId).sort()).toEqual(["111111111111111111111111", "333333333333333333333333"]);
    expect((await readdir(path.join(dir, "files"))).sort()).toEqual(["111111111111111111111111", "333333333333333333333333"]);
    const big = await ExportStore.open(await folder(), { maxBytes: 5 });
    await big.save(meta("444444444444444444444444", Date.now()), "w".repeat(10));
    expect(big.get("444444444444444444444444")).toBeDefined();
  });

  it("refuses to store under an id that is not a plain name", async () => {
    const store = await ExportStore.open(await folder());
    await expect(store.save(meta("../escape", Date.now()), "x")).rejects.toThrow(/Refusing/);
  });
});
