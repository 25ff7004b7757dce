/**
 * createRuntime with each kind of state: `deps.tasks` (for MCP Tasks) and the store are shared by
 * every runtime on the same folder or database and the same credential, and apart otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createRuntime, type Runtime } from "../../src/deps.js";
import { silentLogger } from "../../src/logger.js";
import { tempDir } from "../helpers/harness.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";

let cluster: PostgresCluster;
const runtimes: Runtime[] = [];
const removals: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  for (const remove of removals) await remove();
  await cluster?.stop();
});

async function runtime(flags: string[], apiKey = "runtime-test-key"): Promise<Runtime> {
  const config = loadConfig(flags, { CLARI_API_KEY: apiKey, CLARI_BASE_URL: "http://127.0.0.1:9/v4" });
  const started = await createRuntime(config, silentLogger);
  runtimes.push(started);
  return started;
}

describe("deps.tasks", () => {
  it("is shared by runtimes on one database, and kept apart per credential", async () => {
    const url = await cluster.createDatabase();
    const a = await runtime(["--state", url]);
    const b = await runtime(["--state", url]);
    const other = await runtime(["--state", url], "another-org-key");
    expect(a.deps.store.persistent).toBe(true);
    const task = await a.deps.tasks.create({ requestKey: "forecast:{}", owner: "session-a" });
    expect(await b.deps.tasks.get(task.taskId)).toEqual(task);
    await b.deps.tasks.update(task.taskId, { status: "completed", jobId: "job_1" });
    expect((await a.deps.tasks.list({ status: "completed" })).map((t) => t.taskId)).toEqual([task.taskId]);
    expect(await other.deps.tasks.get(task.taskId)).toBeUndefined();
  });

  it("lives in the cache folder by default and survives a restart", async () => {
    const folder = await tempDir();
    removals.push(folder.remove);
    const first = await runtime(["--cache-dir", folder.dir]);
    const task = await first.deps.tasks.create({ taskId: "task-1", jobId: "job_1" });
    await first.close();
    const second = await runtime(["--cache-dir", folder.dir]);
    expect(await second.deps.tasks.get("task-1")).toEqual(task);
  });

  it("is in memory with --no-cache", async () => {
    const a = await runtime(["--no-cache"]);
    const task = await a.deps.tasks.create({});
    expect(await a.deps.tasks.get(task.taskId)).toEqual(task);
    expect(a.deps.store.persistent).toBe(false);
  });
});
