/**
 * Case 9: no POST leaves without a durable intent. The disk that holds the journal is full (a
 * real one: a 1 MB tmpfs as the cache folder, or as the Postgres tablespace of the journal's
 * table): the request is refused ("could not record the request, nothing was queued") and Clari
 * sees no POST. Space freed, the same ask queues exactly one job; the server killed mid-POST and
 * restarted, the ask finds that job instead of queuing a second.
 */
import { chmod, chown, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, startServer, stopAll, tempDir, until, type ServerProcess } from "./server-process.js";
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

async function sql(url: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** Full disk: refused, nothing sent. Space freed: one POST, killed mid-flight, restarted: still one job. */
async function refuseThenQueueOnce(server: ServerProcess, full: SmallDisk, fakeClari: FakeClari, journalRecords: () => Promise<number>): Promise<void> {
  await full.fill();
  const refused = await server.call(EXPORT_TOOL, forecastArgs(0));
  expect(refused.answer, String(refused.error)).toBeDefined();
  expect(refused.answer!.isError).toBe(true);
  expect(refused.answer!.text).toMatch(/^Could not record the request, nothing was queued: .+/);
  expect(refused.answer!.text).not.toMatch(/failed unexpectedly/);
  expect(fakeClari.posts()).toHaveLength(0);
  expect(await journalRecords()).toBe(0);

  await full.free();
  fakeClari.faults.postDelayMs = 3000;
  const inFlight = server.call(EXPORT_TOOL, forecastArgs(10));
  expect(await until(() => fakeClari.posts().length === 1, 10_000)).toBe(true);
  await server.kill();
  await inFlight;
  expect(fakeClari.jobs()).toHaveLength(1);
  fakeClari.faults.postDelayMs = 0;
  const restarted = await server.restart();
  const again = await restarted.call(EXPORT_TOOL, forecastArgs(0), { timeoutMs: 30_000 });
  expect(again.answer?.isError, again.answer?.text).toBe(false);
  expect(again.answer?.structured.jobId).toBe(fakeClari.jobs()[0]!.jobId);
  expect(fakeClari.posts()).toHaveLength(1);
  expect(fakeClari.jobs()).toHaveLength(1);
}

describe.sequential("case 9: the journal's disk is full", () => {
  it("a 1 MB tmpfs as the cache folder: refused with nothing queued; freed, one job, and still one after kill -9 mid-POST", async () => {
    fake = await startFakeClari({ jobMs: 120_000, createJobOn: "received" });
    disk = await smallDisk(path.join(await tempDir(), "cache"));
    const server = await startServer(fake, { cacheDir: disk.dir });
    const records = async (): Promise<number> => {
      const stores = (await readdir(disk!.dir)).filter((n) => /^[0-9a-f]{16}$/.test(n));
      let count = 0;
      for (const s of stores) count += (await readdir(path.join(disk!.dir, s, "journal")).catch(() => [] as string[])).filter((n) => n.endsWith(".json")).length;
      return count;
    };
    await refuseThenQueueOnce(server, disk, fake, records);
  }, 90_000);

  it("the journal's table in a tablespace on a full 1 MB tmpfs (Postgres): refused with nothing queued; freed, one job, and still one after kill -9 mid-POST", async () => {
    fake = await startFakeClari({ jobMs: 120_000, createJobOn: "received" });
    const url = await cluster.createDatabase();
    const server = await startServer(fake, { cacheDir: await tempDir(), flags: ["--state", url] });
    // The tablespace's folder must be reachable by the database's system user.
    const base = await tempDir();
    await chmod(base, 0o755);
    disk = await smallDisk(path.join(base, "disk"));
    await chmod(disk.dir, 0o755);
    const location = path.join(disk.dir, "journal");
    await mkdir(location);
    if (cluster.osUser) await chown(location, cluster.osUser.uid, cluster.osUser.gid);
    const space = `small_${path.basename(base).replace(/[^a-z0-9]/gi, "").toLowerCase()}`;
    await sql(url, `CREATE TABLESPACE ${space} LOCATION '${location}'`);
    await sql(url, `ALTER TABLE clari_mcp_journal SET TABLESPACE ${space}`);
    await sql(url, `ALTER INDEX clari_mcp_journal_pkey SET TABLESPACE ${space}`);
    const records = async (): Promise<number> => Number((await sql(url, "SELECT count(*) AS n FROM clari_mcp_journal"))[0]!.n);
    try {
      await refuseThenQueueOnce(server, disk, fake, records);
    } finally {
      await sql(url, "ALTER TABLE clari_mcp_journal SET TABLESPACE pg_default").catch(() => undefined);
      await sql(url, "ALTER INDEX clari_mcp_journal_pkey SET TABLESPACE pg_default").catch(() => undefined);
      await sql(url, `DROP TABLESPACE ${space}`).catch(() => undefined);
    }
  }, 90_000);
});
