/**
 * Two replicas of the built binary (stateless HTTP) on one real Postgres, behind the round-robin
 * proxy, against the sandbox over loopback: the same export asked through the proxy on both at
 * once queues exactly one Clari job; a task created on replica A completes through tasks/get on
 * replica B; SIGKILL of the replica that made a task loses nothing (the other finishes it, one job).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRoundRobinProxy, type RoundRobinProxy } from "../../scripts/round-robin-proxy.mjs";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { tempDir } from "../helpers/harness.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { startHttpServer } from "../e2e/http-server.js";
import { callTool, expectTask, getTask, settle } from "./task-client.js";

const API_KEY = "replicas-test-key";
let sandbox: Sandbox;
let postgres: PostgresCluster;
let stateUrl: string;
const cleanups: Array<() => Promise<void>> = [];

async function replica() {
  const dir = await tempDir();
  const started = await startHttpServer(["--stateless", "--cache-dir", dir.dir, "--state", stateUrl], { CLARI_API_KEY: API_KEY, CLARI_BASE_URL: sandbox.v4Url });
  cleanups.push(async () => {
    await started.close("SIGKILL");
    await dir.remove();
  });
  return started;
}

async function proxyOver(urls: string[]): Promise<{ proxy: RoundRobinProxy; url: string }> {
  const proxy = await startRoundRobinProxy(urls.map((u) => new URL(u).origin));
  cleanups.push(() => proxy.close());
  return { proxy, url: `${proxy.url}/mcp` };
}

beforeAll(async () => {
  [sandbox, postgres] = await Promise.all([startSandbox({ apiKey: API_KEY, jobDurationMs: 2500, users: 40 }), startPostgres()]);
  stateUrl = await postgres.createDatabase("replicas");
}, 60_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await sandbox?.close();
  await postgres?.stop();
});

const EXPORT = { forecastId: "net_bookings", typesToExport: ["forecast", "quota"] };

describe("two replicas on one Postgres behind a round-robin proxy", () => {
  it("queues exactly one Clari job for the same export asked on both at once", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const { proxy, url } = await proxyOver([a.url, b.url]);
    const before = sandbox.stats().jobsCreated;
    const args = { ...EXPORT, timePeriod: "2026_Q4", waitSeconds: 20 };
    const answers = await Promise.all([callTool(url, "clari_export_forecast", args, { tasks: false }), callTool(url, "clari_export_forecast", args, { tasks: false })]);
    expect(proxy.served).toEqual([1, 1]);
    expect(sandbox.stats().jobsCreated).toBe(before + 1);
    const structured = answers.map((r) => r.structuredContent as { jobId: string; outcome: string });
    expect(structured[0]?.jobId).toBe(structured[1]?.jobId);
    expect(structured.map((s) => s.outcome).sort()).toEqual(expect.arrayContaining(["done"]));
  });

  it("completes a task made on replica A through tasks/get on replica B, and through the proxy", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const before = sandbox.stats().jobsCreated;
    const task = expectTask(await callTool(a.url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q3", fresh: true }));
    expect((await getTask(b.url, task.taskId)).status).toBe("working");
    const done = await settle(b.url, task.taskId);
    expect(done.status).toBe("completed");
    expect((done.result as { structuredContent: { outcome: string } }).structuredContent.outcome).toBe("done");
    // Through the proxy each poll lands on the other replica; both give the same ended task.
    const { proxy, url } = await proxyOver([a.url, b.url]);
    const seen = [await getTask(url, task.taskId), await getTask(url, task.taskId)];
    expect(proxy.served).toEqual([1, 1]);
    expect(seen[0]?.result).toEqual(done.result);
    expect(seen[1]?.result).toEqual(done.result);
    expect(sandbox.stats().jobsCreated).toBe(before + 1);
  });

  it("loses nothing when the replica that made a task is SIGKILLed mid-job", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const before = sandbox.stats().jobsCreated;
    const task = expectTask(await callTool(a.url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q2", fresh: true }));
    await a.close("SIGKILL");
    const done = await settle(b.url, task.taskId);
    expect(done.status).toBe("completed");
    expect((done.result as { structuredContent: { outcome: string } }).structuredContent.outcome).toBe("done");
    // The same export asked again on B is the stored one, not a second job.
    const again = await callTool(b.url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q2" }, { tasks: false });
    expect((again.structuredContent as { outcome: string }).outcome).toBe("reused");
    expect(sandbox.stats().jobsCreated).toBe(before + 1);
  });
});
