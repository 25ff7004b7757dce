/**
 * Tasks between callers, with the built binary over HTTP against the sandbox on loopback and two
 * named tokens: alice a Tasks client, bob a blocking caller (an SDK client on 2026-07-28 without
 * the extension). A working task is a waiter on its job for its whole life: bob cancelling his call
 * of the same export (on the same server or on another process sharing the folder) leaves the
 * Clari job running and alice's task ends with the export; once alice's task is cancelled it no
 * longer counts. A task id is its owner's even when no record of it is left (restart with
 * --no-cache, another replica's fresh folder): bob's tasks/get and tasks/cancel of alice's id are
 * an unknown task and change nothing, and alice still gets her task.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { tempDir } from "../helpers/harness.js";
import { startHttpServer } from "../e2e/http-server.js";
import { callTool, expectTask, getTask, rpc } from "./task-client.js";

const API_KEY = "callers-test-key";
const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789abc";
const TOKENS = `alice:${ALICE},bob:${BOB}`;

let sandbox: Sandbox;
const dirs: Array<{ dir: string; remove(): Promise<void> }> = [];
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, jobDurationMs: 6000, users: 40 });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await sandbox?.close();
  for (const d of dirs) await d.remove();
});

async function folder(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d.dir;
}

async function server(args: string[]) {
  const started = await startHttpServer(args, { CLARI_API_KEY: API_KEY, CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url, CLARI_MCP_HTTP_TOKENS: TOKENS });
  closers.push(() => started.close("SIGKILL"));
  return started;
}

/** The job's status as the sandbox itself reports it over HTTP. */
async function clariStatus(jobId: string): Promise<string> {
  const res = await fetch(`${sandbox.v4Url}/export/jobs/${jobId}`, { headers: { apikey: API_KEY } });
  const body = (await res.json()) as { job?: { status?: string }; status?: string };
  return String(body.job?.status ?? body.status);
}

async function waitForStatus(jobId: string, wanted: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = await clariStatus(jobId);
  while (status !== wanted && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    status = await clariStatus(jobId);
  }
  return status;
}

/**
 * Bob's blocking call of the export (no Tasks extension), cancelled once it is waiting on the job:
 * its first progress notification says it polls the job; then the request is aborted (on
 * 2026-07-28 a closed request is a cancelled one).
 */
async function bobCallsThenCancels(url: string, args: Record<string, unknown>): Promise<string> {
  const client = new Client({ name: "bob", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${BOB}` } } }));
  closers.push(() => client.close());
  const controller = new AbortController();
  let progressed!: (message: string) => void;
  const firstProgress = new Promise<string>((resolve) => (progressed = resolve));
  const call = client.callTool({ name: "clari_export_forecast", arguments: { ...args, waitSeconds: 30 } }, { signal: controller.signal, onprogress: (p) => progressed(String(p.message)) });
  const message = await Promise.race([firstProgress, call.then((r) => `answered before any progress: ${JSON.stringify(r).slice(0, 300)}`)]);
  controller.abort();
  await call.catch(() => undefined);
  return message;
}

const EXPORT = { forecastId: "net_bookings", typesToExport: ["forecast"] };

describe("a task is a waiter on its job for its whole life", () => {
  it("(control) bob's cancelled blocking call cancels the job when no task waits on it", async () => {
    const { url } = await server(["--stateless", "--cache-dir", await folder()]);
    const args = { ...EXPORT, timePeriod: "2026_Q1", fresh: true };
    const progress = await bobCallsThenCancels(url, args);
    const jobId = /Clari job (\w+)/.exec(progress)?.[1];
    expect(jobId, progress).toBeDefined();
    expect(await waitForStatus(jobId!, "CANCELLED")).toBe("CANCELLED");
  });

  it("bob cancelling his call of the same export leaves alice's job running; her task completes with the export", async () => {
    const { url } = await server(["--stateless", "--cache-dir", await folder()]);
    const jobsBefore = sandbox.stats().jobsCreated;
    const task = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q2", fresh: true }, { token: ALICE }));
    const progress = await bobCallsThenCancels(url, { ...EXPORT, timePeriod: "2026_Q2" });
    const jobId = /Clari job (\w+)/.exec(progress)?.[1];
    expect(jobId, progress).toBeDefined();
    expect(sandbox.stats().jobsCreated).toBe(jobsBefore + 1); // bob joined alice's job
    const final = await settleAs(url, task.taskId, ALICE);
    expect(final.status).toBe("completed");
    expect((final.result as { structuredContent: { outcome: string; jobId: string } }).structuredContent).toMatchObject({ outcome: "done", jobId });
    expect(await clariStatus(jobId!)).toBe("DONE");
  });

  it("counts a task made on another process sharing the folder; a cancelled task stops counting", async () => {
    const shared = await folder();
    const one = await server(["--stateless", "--cache-dir", shared]);
    const two = await server(["--stateless", "--cache-dir", shared]);
    const task = expectTask(await callTool(one.url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q3", fresh: true }, { token: ALICE }));
    // Bob, on the other process, joins the same job and cancels: the job stays for alice's task.
    const progress = await bobCallsThenCancels(two.url, { ...EXPORT, timePeriod: "2026_Q3" });
    const jobId = /Clari job (\w+)/.exec(progress)![1]!;
    await new Promise((r) => setTimeout(r, 300));
    expect(await clariStatus(jobId)).toMatch(/SCHEDULED|STARTED/);
    // Alice cancels her task: nobody waits any more, so the job is cancelled.
    const cancelled = await rpc(one.url, "tasks/cancel", { taskId: task.taskId }, { name: task.taskId, token: ALICE });
    expect(cancelled.error).toBeUndefined();
    expect(await waitForStatus(jobId, "CANCELLED")).toBe("CANCELLED");
    expect((await getTask(one.url, task.taskId, ALICE)).status).toBe("cancelled");
  });

  it("a cancelled task no longer keeps the job from a blocking caller who cancels", async () => {
    const { url } = await server(["--stateless", "--cache-dir", await folder()]);
    const first = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2025_Q4", fresh: true }, { token: ALICE }));
    const second = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2025_Q4" }, { token: ALICE }));
    // Two tasks on one job: cancelling one leaves the job to the other.
    const one = await rpc(url, "tasks/cancel", { taskId: first.taskId }, { name: first.taskId, token: ALICE });
    expect(one.error).toBeUndefined();
    const afterOne = await getTask(url, first.taskId, ALICE);
    expect(String(afterOne.statusMessage)).toMatch(/keeps running: 1 other caller\(s\) or task\(s\)/);
    await rpc(url, "tasks/cancel", { taskId: second.taskId }, { name: second.taskId, token: ALICE });
    const afterTwo = await getTask(url, second.taskId, ALICE);
    expect(String(afterTwo.statusMessage)).toMatch(/was cancelled/);
  });
});

/** Polls tasks/get as the given token until the task ends. */
async function settleAs(url: string, taskId: string, token: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await getTask(url, taskId, token);
    if (["completed", "failed", "cancelled"].includes(task.status as string)) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${String(task.status)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("a task id is its owner's with no record left", () => {
  for (const [where, fresh] of [
    ["a restart with --no-cache", false],
    ["another replica's fresh folder", true],
  ] as const) {
    it(`after ${where}, bob's tasks/get and tasks/cancel of alice's task are an unknown task and change nothing`, async () => {
      const first = await server(fresh ? ["--stateless", "--cache-dir", await folder()] : ["--stateless", "--no-cache"]);
      const task = expectTask(await callTool(first.url, "clari_export_forecast", { ...EXPORT, timePeriod: fresh ? "2025_Q2" : "2025_Q3", fresh: true }, { token: ALICE }));
      const jobId = String((await getTask(first.url, task.taskId, ALICE)).statusMessage).match(/job (\w+)/)![1]!;
      let other = first;
      if (fresh) other = await server(["--stateless", "--cache-dir", await folder()]);
      else {
        await first.close("SIGKILL");
        other = await server(["--stateless", "--no-cache"]);
      }
      for (const method of ["tasks/get", "tasks/cancel"]) {
        const answer = await rpc(other.url, method, { taskId: task.taskId }, { name: task.taskId, token: BOB });
        expect(answer.error?.code, `${method}: ${JSON.stringify(answer)}`).toBe(-32602);
        expect(answer.error?.message).toMatch(/Unknown task/);
      }
      // Nothing changed: the job runs on, and alice's task is still hers and ends with the export.
      expect(await clariStatus(jobId)).toMatch(/SCHEDULED|STARTED/);
      const final = await settleAs(other.url, task.taskId, ALICE);
      expect(final.status).toBe("completed");
      expect((final.result as { structuredContent: { outcome: string; jobId: string } }).structuredContent).toMatchObject({ outcome: "done", jobId });
      // Bob still cannot see it once alice's record exists.
      expect((await rpc(other.url, "tasks/get", { taskId: task.taskId }, { name: task.taskId, token: BOB })).error?.code).toBe(-32602);
    });
  }
});
