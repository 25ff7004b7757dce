/**
 * Replicas on one Postgres (`--state postgres://...`): real server processes, each with a cache
 * folder of its own (which must stay empty), against the hostile fake Clari and a real Postgres
 * started for this file. They must behave as processes on one folder do: one export asked on
 * both at once is queued once, a job journalled by one is resumed and downloaded by the other,
 * a SIGKILL loses no jobId, and the database password never shows.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv } from "../e2e/binary.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, sleep, startServer, stopAll, tempDir, until, type ServerProcess } from "./server-process.js";

const run = promisify(execFile);

let cluster: PostgresCluster;
let fake: FakeClari | undefined;

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

/** Replicas on a fresh database, each with its own (unused) cache folder. */
async function replicas(count: number, jobMs: number, flags: string[] = []): Promise<{ url: string; servers: ServerProcess[] }> {
  fake = await startFakeClari({ jobMs });
  const url = await cluster.createDatabase();
  const servers = await Promise.all(Array.from({ length: count }, async () => startServer(fake!, { cacheDir: await tempDir(), flags: ["--state", url, ...flags] })));
  return { url, servers };
}

async function rows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function expectNoPassword(...servers: ServerProcess[]): void {
  for (const server of servers) expect(server.stderr()).not.toContain(cluster.password);
}

describe.sequential("replicas on one Postgres", () => {
  it("the same export asked on two replicas at once queues exactly one Clari job", async () => {
    const { url, servers } = await replicas(2, 1500, ["--log-level", "debug"]);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const [one, two] = await Promise.all([a.call(EXPORT_TOOL, forecastArgs(20)), b.call(EXPORT_TOOL, forecastArgs(20))]);
    expect(one.answer?.isError, one.answer?.text).toBe(false);
    expect(two.answer?.isError, two.answer?.text).toBe(false);
    expect(fake!.posts()).toHaveLength(1);
    const jobId = fake!.jobs()[0]!.jobId;
    expect(one.answer?.structured.jobId).toBe(jobId);
    expect(two.answer?.structured.jobId).toBe(jobId);
    expect([one.answer?.structured.outcome, two.answer?.structured.outcome]).toEqual(["done", "done"]);
    // The state is in the database, not in either cache folder.
    expect(await rows(url, "SELECT job_id FROM clari_mcp_files")).toEqual([{ job_id: jobId }]);
    expect(await rows(url, "SELECT name FROM clari_mcp_journal")).toEqual([]);
    for (const server of servers) expect(await readdir(server.cacheDir)).toEqual([]);
    expect(a.stderr()).toMatch(/shared state in database postgres:\/\/clari:\*\*\*@127\.0\.0\.1/);
    expectNoPassword(a, b);
  });

  it("three replicas asking four exports at once, each on every replica, queue exactly four jobs", async () => {
    const { servers } = await replicas(3, 1500);
    const periods = ["2026_Q1", "2026_Q2", "2026_Q3", "2026_Q4"];
    const calls = periods.flatMap((timePeriod) => servers.map((server) => server.call(EXPORT_TOOL, { ...forecastArgs(20), timePeriod }).then((r) => ({ timePeriod, r }))));
    const answers = await Promise.all(calls);
    expect(fake!.posts()).toHaveLength(4);
    expect(new Set(fake!.jobs().map((j) => j.timePeriod))).toEqual(new Set(periods));
    for (const { timePeriod, r } of answers) {
      expect(r.answer?.isError, r.answer?.text).toBe(false);
      expect(r.answer?.structured.jobId).toBe(fake!.jobs().find((j) => j.timePeriod === timePeriod)!.jobId);
    }
  });

  it("export files stream into the database in chunks, bounded by --max-download-mb, and hold no key", async () => {
    const MB = 1024 * 1024;
    const { url, servers } = await replicas(1, 300, ["--max-download-mb", "4"]);
    const [a] = servers as [ServerProcess];
    fake!.faults.results = { kind: "big", bytes: 3 * MB };
    const stored = await a.call(EXPORT_TOOL, forecastArgs(20));
    expect(stored.answer?.isError, stored.answer?.text).toBe(false);
    const [file] = await rows(url, "SELECT f.bytes, count(c.seq)::int AS chunks FROM clari_mcp_files f JOIN clari_mcp_chunks c USING (upload_id) GROUP BY f.bytes");
    expect(Number(file!.bytes)).toBeGreaterThan(2.9 * MB);
    // Chunks of at least 1 MB each (a chunk is written once 1 MB is pending), the last one shorter.
    expect(file!.chunks).toBeGreaterThanOrEqual(3);
    expect(file!.chunks).toBeLessThanOrEqual(Math.ceil(Number(file!.bytes) / MB));

    // Over the cap with no declared size: counted, refused, and nothing of it is left.
    fake!.faults.results = { kind: "drip", chunkBytes: 256 * 1024, everyMs: 5 };
    const refused = await a.call(EXPORT_TOOL, { ...forecastArgs(20), timePeriod: "2026_Q3" });
    expect(refused.answer?.structured.outcome).not.toBe("done");
    expect(refused.answer?.text).toMatch(/\b4\s?MB\b|max-download-mb/i);
    expect(await rows(url, "SELECT count(*)::int AS n FROM clari_mcp_uploads")).toEqual([{ n: 1 }]);
    expect(await rows(url, "SELECT count(*)::int AS n FROM clari_mcp_chunks")).toEqual([{ n: 3 }]);

    // The Clari key is in no table (the journal, index, tasks and observations are scrubbed like the folder's files).
    const key = fake!.apiKey;
    for (const table of ["clari_mcp_index", "clari_mcp_journal", "clari_mcp_journal_aside", "clari_mcp_observations", "clari_mcp_tasks", "clari_mcp_files"]) {
      const [hit] = await rows(url, `SELECT count(*)::int AS n FROM ${table} t WHERE strpos(t::text, '${key}') > 0`);
      expect(hit, table).toEqual({ n: 0 });
    }
    expect(await rows(url, `SELECT count(*)::int AS n FROM clari_mcp_chunks WHERE position(convert_to('${key}', 'UTF8') IN data) > 0`)).toEqual([{ n: 0 }]);
  });

  it("a job started on replica A is resumed, downloaded and then reused on replica B", async () => {
    const { servers } = await replicas(2, 4000);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const first = await a.call(EXPORT_TOOL, forecastArgs(1));
    expect(first.answer?.structured.outcome, first.answer?.text).toBe("running");
    const jobId = first.answer!.structured.jobId!;
    const second = await b.call(EXPORT_TOOL, forecastArgs(20));
    expect(second.answer?.isError, second.answer?.text).toBe(false);
    expect(second.answer?.structured).toMatchObject({ outcome: "done", jobId });
    expect(fake!.posts()).toHaveLength(1);
    const downloads = fake!.resultStreams().length;
    // A now finds it stored (by B, in the database): no new job, no second download.
    const third = await a.call(EXPORT_TOOL, forecastArgs(20));
    expect(third.answer?.structured).toMatchObject({ outcome: "reused", jobId });
    expect(fake!.posts()).toHaveLength(1);
    expect(fake!.resultStreams()).toHaveLength(downloads);
    // And the rows are there to query on A.
    const query = await a.call("clari_query", { sql: "SELECT count(*) AS n FROM forecast" });
    expect(query.answer?.isError, query.answer?.text).toBe(false);
    expectNoPassword(a, b);
  });

  it("clari_wait_for_job on replica B finishes a job queued on replica A", async () => {
    const { servers } = await replicas(2, 3000);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const first = await a.call(EXPORT_TOOL, forecastArgs(1));
    const jobId = first.answer!.structured.jobId!;
    const waited = await b.call("clari_wait_for_job", { jobId, waitSeconds: 20 });
    expect(waited.answer?.isError, waited.answer?.text).toBe(false);
    expect(waited.answer?.structured).toMatchObject({ jobId });
    expect(waited.answer?.text).toMatch(/DONE|done/);
    const again = await a.call(EXPORT_TOOL, forecastArgs(5));
    expect(again.answer?.structured).toMatchObject({ outcome: "reused", jobId });
    expect(fake!.posts()).toHaveLength(1);
  });

  it("SIGKILL of replica A mid-job: B finishes that job, a restart of A reuses it, nothing is queued twice", async () => {
    const { url, servers } = await replicas(2, 3000);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const inFlight = a.call(EXPORT_TOOL, forecastArgs(20));
    expect(await until(async () => (await rows(url, "SELECT body FROM clari_mcp_journal")).some((r) => String(r.body).includes('"queued"')), 5000)).toBe(true);
    await a.kill();
    await inFlight;
    const finished = await b.call(EXPORT_TOOL, forecastArgs(20));
    expect(finished.answer?.isError, finished.answer?.text).toBe(false);
    expect(finished.answer?.structured).toMatchObject({ outcome: "done", jobId: fake!.jobs()[0]!.jobId });
    const restarted = await a.restart();
    const again = await restarted.call(EXPORT_TOOL, forecastArgs(20));
    expect(again.answer?.structured).toMatchObject({ outcome: "reused", jobId: fake!.jobs()[0]!.jobId });
    expect(fake!.posts()).toHaveLength(1);
    expect(fake!.cancels()).toHaveLength(0);
  });

  it("SIGKILL of replica A mid-POST: B finds the job on Clari's job list instead of queuing another", async () => {
    const { servers } = await replicas(2, 1000);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    fake!.faults.postDelayMs = 3000;
    fake!.faults.createJobOn = "received";
    const inFlight = a.call(EXPORT_TOOL, forecastArgs(20));
    expect(await until(() => fake!.posts().length === 1, 5000)).toBe(true);
    await sleep(300);
    await a.kill();
    await inFlight;
    fake!.faults.postDelayMs = 0;
    const adopted = await b.call(EXPORT_TOOL, forecastArgs(20), { timeoutMs: 30_000 });
    expect(adopted.answer?.isError, adopted.answer?.text).toBe(false);
    expect(adopted.answer?.structured.jobId).toBe(fake!.jobs()[0]!.jobId);
    expect(fake!.jobs()).toHaveLength(1);
  });
});

describe("a state URL the server cannot use", () => {
  const env = () => cleanEnv({ CLARI_API_KEY: "state-url-test-key" });

  async function start(args: string[]): Promise<{ code: number; stderr: string }> {
    try {
      await run(process.execPath, [CLI, ...args], { env: env(), timeout: 30_000 });
      return { code: 0, stderr: "" };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : -1, stderr: e.stderr ?? "" };
    }
  }

  it("stops at start with a clear message, a non-zero exit, the password hidden and nothing written", async () => {
    const folder = await tempDir();
    const cacheDir = path.join(folder, "cache");
    const closedPort = cluster.url.replace(`:${cluster.port}/`, ":1/");
    const refused = await start(["--cache-dir", cacheDir, "--state", closedPort]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Could not use the state database postgres:\/\/clari:\*\*\*@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED.*CLARI_MCP_STATE_URL/);
    expect(refused.stderr).not.toContain(cluster.password);

    const wrongPassword = cluster.url.replace(encodeURIComponent(cluster.password), "Wr0ngPassw0rd-xyz");
    const denied = await start(["--cache-dir", cacheDir, "--state", wrongPassword]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/password authentication failed/);
    expect(denied.stderr).not.toContain("Wr0ngPassw0rd-xyz");

    const noDatabase = cluster.url.replace(/\/postgres$/, "/no_such_db");
    const missing = await start(["--cache-dir", cacheDir, "--state", noDatabase]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/database "no_such_db" does not exist/);
    expect(missing.stderr).not.toContain(cluster.password);

    const notPostgres = await start(["--cache-dir", cacheDir, "--state", "mysql://root:Sup3rSecret@db/x"]);
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toMatch(/must be a postgres:\/\/ or postgresql:\/\/ URL \(got mysql:\/\/root:\*\*\*@db\/x\)/);
    expect(notPostgres.stderr).not.toContain("Sup3rSecret");

    const both = await start(["--no-cache", "--state", cluster.url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/choose one/);
    expect(both.stderr).not.toContain(cluster.password);

    expect(existsSync(cacheDir)).toBe(false);
  });
});
