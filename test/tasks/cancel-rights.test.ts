/**
 * Only the caller who queued a Clari job cancels it by walking away. With the built binary over
 * HTTP against the sandbox on loopback and three named tokens: alice queues an export with a
 * blocking call that answers "running"; then
 * - bob, who may only read, makes a task of clari_wait_for_job on her job and cancels the task:
 *   his task ends, her job runs on (clari_wait_for_job never cancels, as a task neither);
 * - carol, who may export, asks the identical export (joining alice's job, spending nothing) and
 *   cancels her call, or her task: she stops waiting, alice's job runs on, and alice's next ask
 *   gets her export, with one job queued in all;
 * - (control) alice cancelling her own task of the export does cancel the job.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { tempDir } from "../helpers/harness.js";
import { startHttpServer } from "../e2e/http-server.js";
import { callTool, expectTask, getTask, rpc } from "./task-client.js";

const API_KEY = "cancel-rights-test-key";
const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789abc";
const CAROL = "carol-token-0123456789ab";
const TOKENS = `alice:${ALICE},bob[read]:${BOB},carol[export]:${CAROL}`;
const EXPORT = { forecastId: "net_bookings", typesToExport: ["forecast"] };

let sandbox: Sandbox;
let url: string;
const dirs: Array<{ remove(): Promise<void> }> = [];
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, jobDurationMs: 8000, users: 40 });
  const cache = await tempDir();
  dirs.push(cache);
  const started = await startHttpServer(["--stateless", "--cache-dir", cache.dir], {
    CLARI_API_KEY: API_KEY,
    CLARI_BASE_URL: sandbox.v4Url,
    CLARI_INGEST_BASE_URL: sandbox.v2Url,
    CLARI_MCP_HTTP_TOKENS: TOKENS,
  });
  closers.push(() => started.close("SIGKILL"));
  url = started.url;
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await sandbox?.close();
  for (const d of dirs) await d.remove();
});

/** The job's status as the sandbox itself reports it over HTTP. */
async function clariStatus(jobId: string): Promise<string> {
  const res = await fetch(`${sandbox.v4Url}/export/jobs/${jobId}`, { headers: { apikey: API_KEY } });
  const body = (await res.json()) as { job?: { status?: string }; status?: string };
  return String(body.job?.status ?? body.status);
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: "caller", version: "1" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  closers.push(() => client.close());
  return client;
}

/** Alice queues the export with a blocking call that stops waiting at once: it answers "running" with the jobId. */
async function aliceQueues(timePeriod: string): Promise<string> {
  const alice = await connect(ALICE);
  const answer = (await alice.callTool({ name: "clari_export_forecast", arguments: { ...EXPORT, timePeriod, fresh: true, waitSeconds: 1 } })) as { structuredContent?: { outcome?: string; jobId?: string } };
  expect(answer.structuredContent?.outcome).toBe("running");
  return answer.structuredContent!.jobId!;
}

/** A blocking call of the identical export, cancelled once it waits on the job (its first progress). */
async function callsThenCancels(token: string, timePeriod: string): Promise<string> {
  const client = await connect(token);
  const controller = new AbortController();
  let progressed!: (message: string) => void;
  const firstProgress = new Promise<string>((resolve) => (progressed = resolve));
  const call = client.callTool({ name: "clari_export_forecast", arguments: { ...EXPORT, timePeriod, waitSeconds: 30 } }, { signal: controller.signal, onprogress: (p) => progressed(String(p.message)) });
  const message = await Promise.race([firstProgress, call.then((r) => `answered before any progress: ${JSON.stringify(r).slice(0, 300)}`)]);
  controller.abort();
  await call.catch(() => undefined);
  return message;
}

/** The job stays running a while after a cancel that must not touch it. */
async function stillRunning(jobId: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
  expect(await clariStatus(jobId)).toMatch(/SCHEDULED|STARTED/);
}

describe("only the caller who queued a job cancels it by walking away", () => {
  it("a read-only caller's task of clari_wait_for_job, cancelled, ends his task and leaves alice's job running", async () => {
    const jobId = await aliceQueues("2026_Q1");
    const task = expectTask(await callTool(url, "clari_wait_for_job", { jobId }, { token: BOB }));
    const cancelled = await rpc(url, "tasks/cancel", { taskId: task.taskId }, { name: task.taskId, token: BOB });
    expect(cancelled.error).toBeUndefined();
    const after = await getTask(url, task.taskId, BOB);
    expect(after.status).toBe("cancelled");
    expect(String(after.statusMessage)).toMatch(/keeps running/);
    await stillRunning(jobId);
  });

  it("a caller who joined alice's export and cancels her call stops waiting; alice's job runs on and her next ask gets it", async () => {
    const jobsBefore = sandbox.stats().jobsCreated;
    const jobId = await aliceQueues("2026_Q2");
    const progress = await callsThenCancels(CAROL, "2026_Q2");
    expect(progress).toContain(jobId);
    await stillRunning(jobId);
    const alice = await connect(ALICE);
    const answer = (await alice.callTool({ name: "clari_export_forecast", arguments: { ...EXPORT, timePeriod: "2026_Q2", waitSeconds: 30 } }, { timeout: 60_000 })) as { structuredContent?: { outcome?: string; jobId?: string } };
    expect(answer.structuredContent).toMatchObject({ outcome: "done", jobId });
    expect(sandbox.stats().jobsCreated).toBe(jobsBefore + 1);
  });

  it("a caller who joined as a task and cancels it leaves the job; alice cancelling her own task does cancel it", async () => {
    const alicesTask = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q3", fresh: true }, { token: ALICE }));
    const carolsTask = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q3" }, { token: CAROL }));
    const jobId = /job (\w+)/.exec(String((await getTask(url, alicesTask.taskId, ALICE)).statusMessage))![1]!;
    expect((await rpc(url, "tasks/cancel", { taskId: carolsTask.taskId }, { name: carolsTask.taskId, token: CAROL })).error).toBeUndefined();
    expect(String((await getTask(url, carolsTask.taskId, CAROL)).statusMessage)).toMatch(/keeps running: another caller queued it/);
    await stillRunning(jobId);
    expect((await rpc(url, "tasks/cancel", { taskId: alicesTask.taskId }, { name: alicesTask.taskId, token: ALICE })).error).toBeUndefined();
    expect(String((await getTask(url, alicesTask.taskId, ALICE)).statusMessage)).toMatch(/was cancelled/);
    expect(await clariStatus(jobId)).toBe("CANCELLED");
  });
});
