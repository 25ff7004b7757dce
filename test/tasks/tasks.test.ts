/**
 * Clari jobs as MCP Tasks, end to end: the built binary in HTTP mode against the sandbox over
 * loopback, spoken to as a 2026-07-28 Tasks client would (task-client.ts). A client declaring the
 * extension gets a task for clari_export_forecast at once and polls it to the blocking call's
 * answer; tasks/cancel gives the quota back (read from the sandbox's own /admin/limits); a task id
 * survives a SIGKILL and restart; forged ids and other tokens' tasks are refused; a client
 * without the extension still gets today's bounded wait.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { tempDir } from "../helpers/harness.js";
import { startHttpServer } from "../e2e/http-server.js";
import { callTool, expectTask, getTask, rpc, settle } from "./task-client.js";

const API_KEY = "tasks-test-key";
let sandbox: Sandbox;
let dir: { dir: string; remove(): Promise<void> };
const servers: Array<{ close(signal?: NodeJS.Signals): Promise<void> }> = [];

async function server(args: string[] = [], env: Record<string, string> = {}) {
  const started = await startHttpServer(["--stateless", "--cache-dir", dir.dir, ...args], { CLARI_API_KEY: API_KEY, CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url, ...env });
  servers.push(started);
  return started;
}

/** The monthly quota left, as the sandbox itself reports it over HTTP. */
async function quotaLeft(): Promise<number> {
  const res = await fetch(`${sandbox.v4Url}/admin/limits`, { headers: { apikey: API_KEY } });
  const body = (await res.json()) as { jobs?: { availableMonthlyQuota?: number } };
  const left = body.jobs?.availableMonthlyQuota;
  if (typeof left !== "number") throw new Error(`no availableMonthlyQuota in ${JSON.stringify(body).slice(0, 300)}`);
  return left;
}

const EXPORT = { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport: ["forecast", "quota"] };

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, jobDurationMs: 2500, users: 40 });
  dir = await tempDir();
});
afterAll(async () => {
  for (const s of servers) await s.close("SIGKILL");
  await sandbox?.close();
  await dir?.remove();
});

describe("Clari jobs as MCP Tasks", () => {
  it("advertises the extension in server/discover", async () => {
    const { url } = await server();
    const discovered = await rpc(url, "server/discover", {});
    expect((discovered.result?.capabilities as { extensions?: Record<string, unknown> }).extensions).toHaveProperty(["io.modelcontextprotocol/tasks"]);
  });

  it("gives a Tasks client a task for clari_export_forecast at once, which tasks/get ends with the blocking call's answer", async () => {
    const { url } = await server();
    const jobsBefore = sandbox.stats().jobsCreated;
    const started = Date.now();
    const created = await callTool(url, "clari_export_forecast", { ...EXPORT, fresh: true });
    expect(Date.now() - started).toBeLessThan(2000); // at once: the 2.5 s job is not waited on
    const task = expectTask(created);
    expect(task.status).toBe("working");
    expect(sandbox.stats().jobsCreated).toBe(jobsBefore + 1);

    const working = await getTask(url, task.taskId);
    expect(working.status).toBe("working");
    expect(String(working.statusMessage)).toMatch(/Clari export job \w+: (SCHEDULED|STARTED), \d+s since the task began/);

    const done = await settle(url, task.taskId);
    expect(done.status).toBe("completed");
    const result = done.result as { structuredContent: { jobId: string; outcome: string; summary: unknown }; isError?: boolean };
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent.outcome).toBe("done");
    // The same question asked the usual way (no extension) is answered from the same export.
    const blocking = (await callTool(url, "clari_export_forecast", EXPORT, { tasks: false })) as { structuredContent: { jobId: string; outcome: string; summary: unknown } };
    expect(blocking.structuredContent.outcome).toBe("reused");
    expect(blocking.structuredContent.jobId).toBe(result.structuredContent.jobId);
    expect(blocking.structuredContent.summary).toEqual(result.structuredContent.summary);
    expect(sandbox.stats().jobsCreated).toBe(jobsBefore + 1);
    // An ended task keeps its answer.
    expect((await getTask(url, task.taskId)).result).toEqual(done.result);
  });

  it("keeps the bounded wait for a client without the extension; its handle continued by a Tasks client is a task", async () => {
    const { url } = await server();
    const result = await callTool(url, "clari_export_forecast", { ...EXPORT, fresh: true, waitSeconds: 1 }, { tasks: false });
    expect(result.resultType).not.toBe("task");
    const structured = result.structuredContent as { outcome: string; jobId: string; next?: { tool: string } };
    expect(structured.outcome).toBe("running");
    expect(structured.next?.tool).toBe("clari_wait_for_job");
    // The handle it gave, continued by a Tasks client, becomes a task on the same job.
    const task = expectTask(await callTool(url, "clari_wait_for_job", { jobId: structured.jobId }));
    const done = await settle(url, task.taskId);
    expect((done.result as { structuredContent: { jobId: string; outcome: string } }).structuredContent).toMatchObject({ jobId: structured.jobId, outcome: "done" });
  });

  it("tasks/cancel cancels the Clari job and gives its quota back", async () => {
    const { url } = await server();
    const before = await quotaLeft();
    const task = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q3", fresh: true }));
    expect(await quotaLeft()).toBe(before - 1);
    const cancelled = await rpc(url, "tasks/cancel", { taskId: task.taskId }, { name: task.taskId });
    expect(cancelled.error).toBeUndefined();
    expect(cancelled.result?.resultType).toBe("complete");
    expect(await quotaLeft()).toBe(before);
    const after = await getTask(url, task.taskId);
    expect(after.status).toBe("cancelled");
    expect(String(after.statusMessage)).toMatch(/was cancelled/);
  });

  it("keeps a task id through a SIGKILL and a restart of the server", async () => {
    const first = await server();
    const jobsBefore = sandbox.stats().jobsCreated;
    const task = expectTask(await callTool(first.url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q2", fresh: true }));
    await first.close("SIGKILL");
    const second = await server();
    const done = await settle(second.url, task.taskId);
    expect(done.status).toBe("completed");
    expect((done.result as { structuredContent: { outcome: string } }).structuredContent.outcome).toBe("done");
    expect(sandbox.stats().jobsCreated).toBe(jobsBefore + 1);
  });

  it("refuses a forged task id and another credential's, with the request id and -32602", async () => {
    const { url } = await server();
    const task = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2026_Q1", fresh: true }));
    const forged = `${task.taskId.slice(0, -3)}${task.taskId.endsWith("A") ? "B" : "A"}xy`;
    const answer = await rpc(url, "tasks/get", { taskId: forged }, { name: forged });
    expect(answer.error?.code).toBe(-32602);
    expect(answer.id).not.toBeNull();
    expect(answer.error?.message).toMatch(/Unknown task/);
    const other = await server(["--cache-dir", (await tempDir()).dir], { CLARI_API_KEY: "another-key" });
    const foreign = await rpc(other.url, "tasks/get", { taskId: task.taskId }, { name: task.taskId });
    expect(foreign.error?.code).toBe(-32602);
  });

  it("answers tasks/get, tasks/cancel and tasks/update with -32021 to a client that has not declared the extension, and changes nothing", async () => {
    const { url } = await server();
    const task = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2025_Q3", fresh: true }));
    for (const method of ["tasks/get", "tasks/cancel", "tasks/update"]) {
      for (const params of [{ taskId: task.taskId, inputResponses: {} }, { taskId: "not-a-task" }, {}]) {
        const answer = await rpc(url, method, params, { tasks: false, name: typeof params.taskId === "string" ? params.taskId : undefined });
        expect(answer.error?.code, `${method} ${JSON.stringify(params)}: ${JSON.stringify(answer)}`).toBe(-32021);
        expect(answer.status).toBe(400);
        expect(answer.error?.data).toEqual({ requiredCapabilities: { extensions: { "io.modelcontextprotocol/tasks": {} } } });
        expect(answer.error?.message).toMatch(/io\.modelcontextprotocol\/tasks/);
      }
    }
    // The refused cancel changed nothing: the task is still working (or ended on its own).
    expect((await getTask(url, task.taskId)).status).toMatch(/working|completed/);
    // A Tasks client's tasks/update of its own task is acknowledged (none of ours asks for input);
    // of an unknown task, -32602.
    const update = await rpc(url, "tasks/update", { taskId: task.taskId, inputResponses: { "unknown-key": { ignored: true } } }, { name: task.taskId });
    expect(update.error).toBeUndefined();
    expect(update.result?.resultType).toBe("complete");
    expect((await rpc(url, "tasks/update", { taskId: "nope", inputResponses: {} }, { name: "nope" })).error?.code).toBe(-32602);
  });

  it("hides a task from a bearer token other than the one that made it", async () => {
    const tokens = "alice:alice-token-0123456789,bob:bob-token-0123456789ab";
    const { url } = await server([], { CLARI_MCP_HTTP_TOKENS: tokens });
    const task = expectTask(await callTool(url, "clari_export_forecast", { ...EXPORT, timePeriod: "2025_Q4", fresh: true }, { token: "alice-token-0123456789" }));
    expect((await getTask(url, task.taskId, "alice-token-0123456789")).status).toMatch(/working|completed/);
    const bob = await rpc(url, "tasks/get", { taskId: task.taskId }, { name: task.taskId, token: "bob-token-0123456789ab" });
    expect(bob.error?.code).toBe(-32602);
  });
});
