/**
 * Case 8: a jobId that Clari returned is never lost. The state database stops (a real Postgres,
 * `pg_ctl stop -m immediate`), or the cache folder's disk fills up, while the queue POST is in
 * flight: Clari queues the job, the journal refuses its jobId. The caller still gets the jobId,
 * told that it is not recorded yet and how to go on; the server keeps it in memory and writes it
 * to the journal once the database is back or space is freed; nothing is queued twice.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, startServer, stopAll, storeDir, tempDir, until, type CallResult } from "./server-process.js";
import { smallDisk, type SmallDisk } from "./small-disk.js";

let cluster: PostgresCluster;
let fake: FakeClari | undefined;
let disk: SmallDisk | undefined;

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await disk?.unmount();
  disk = undefined;
  await stopAll();
  await fake?.close();
  fake = undefined;
});

/** The journal's records as the database holds them; none while it cannot be reached. */
async function journalRows(url: string): Promise<Array<{ state?: string; jobId?: string }>> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query("SELECT body FROM clari_mcp_journal")).rows.map((r) => JSON.parse(String(r.body)) as { state?: string; jobId?: string });
  } catch {
    return [];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The journal's records in a store folder. */
async function journalFiles(cacheDir: string): Promise<Array<{ state?: string; jobId?: string }>> {
  const dir = path.join(await storeDir(cacheDir), "journal");
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{32}\.json$/.test(n));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), "utf8")) as { state?: string; jobId?: string }));
}

/** What the first caller must see: the jobId, that it is not recorded yet, and the call that goes on. */
function expectToldTheJobId(first: CallResult, jobId: string): void {
  expect(first.answer, String(first.error)).toBeDefined();
  expect(first.answer!.isError, first.answer!.text).toBe(false);
  expect(first.answer!.structured.jobId).toBe(jobId);
  expect(first.answer!.text).toContain(`Clari queued job ${jobId}, but it could not be recorded yet`);
  expect(first.answer!.text).toContain(`clari_wait_for_job {"jobId":"${jobId}"}`);
}

describe.sequential("case 8: the journal refuses a jobId Clari returned", () => {
  it("Postgres stopped while the POST is in flight, then started again: the caller gets the jobId, one job, and the journal holds it", async () => {
    fake = await startFakeClari({ jobMs: 120_000, postDelayMs: 4000, createJobOn: "received" });
    const url = await cluster.createDatabase();
    const a = await startServer(fake, { cacheDir: await tempDir(), flags: ["--state", url] });
    const inFlight = a.call(EXPORT_TOOL, forecastArgs(3), { timeoutMs: 40_000 });
    expect(await until(() => fake!.posts().length === 1, 10_000)).toBe(true);
    let first: CallResult;
    let waited: CallResult;
    await cluster.halt();
    try {
      first = await inFlight;
      // The call it was told to make works while the database is still down: it asks Clari.
      waited = await a.call("clari_wait_for_job", { jobId: fake.jobs()[0]!.jobId, waitSeconds: 1 });
    } finally {
      await cluster.resume();
    }
    const jobId = fake.jobs()[0]!.jobId;
    expectToldTheJobId(first, jobId);
    expect(waited.answer?.isError, waited.answer?.text).toBe(false);
    expect(waited.answer?.structured).toMatchObject({ jobId, outcome: "running" });
    // Back up: the server writes the jobId it kept.
    // Within a retry (at most 15 s apart) after a query the outage left hanging has timed out (45 s).
    expect(await until(async () => (await journalRows(url)).some((r) => r.state === "queued" && r.jobId === jobId), 90_000), a.stderr().slice(-4000)).toBe(true);
    // Another replica asking the same export resumes that job at once (no "queuing right now").
    const b = await startServer(fake, { cacheDir: await tempDir(), flags: ["--state", url] });
    const other = await b.call(EXPORT_TOOL, forecastArgs(0));
    expect(other.answer?.isError, other.answer?.text).toBe(false);
    expect(other.answer?.structured.jobId).toBe(jobId);
    const again = await a.call(EXPORT_TOOL, forecastArgs(0));
    expect(again.answer?.structured.jobId).toBe(jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(fake.jobs()).toHaveLength(1);
  }, 180_000);

  it("the cache folder's disk fills while the POST is in flight, then space is freed: the caller gets the jobId, one job, and the journal holds it", async () => {
    fake = await startFakeClari({ jobMs: 120_000, postDelayMs: 3000, createJobOn: "received" });
    disk = await smallDisk(path.join(await tempDir(), "cache"));
    const server = await startServer(fake, { cacheDir: disk.dir });
    const inFlight = server.call(EXPORT_TOOL, forecastArgs(3), { timeoutMs: 40_000 });
    expect(await until(() => fake!.posts().length === 1, 10_000)).toBe(true);
    await disk.fill();
    const first = await inFlight;
    const jobId = fake.jobs()[0]!.jobId;
    expectToldTheJobId(first, jobId);
    expect((await journalFiles(disk.dir)).some((r) => r.jobId === jobId)).toBe(false);
    // Asked again while the disk is still full: the kept jobId, not a new job.
    const meanwhile = await server.call(EXPORT_TOOL, forecastArgs(0));
    expect(meanwhile.answer?.structured.jobId).toBe(jobId);
    expect(meanwhile.answer?.text).toContain("could not be recorded yet");
    await disk.free();
    expect(await until(async () => (await journalFiles(disk!.dir)).some((r) => r.state === "queued" && r.jobId === jobId), 60_000)).toBe(true);
    // Recorded: a restart on the same folder resumes it.
    await server.kill();
    const restarted = await server.restart();
    const again = await restarted.call(EXPORT_TOOL, forecastArgs(0));
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(fake.jobs()).toHaveLength(1);
  }, 120_000);
});
