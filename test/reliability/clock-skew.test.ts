/**
 * Case 7: a job that started before the request's intent is never taken as its job. Another
 * client on the same Clari key (a nightly ETL exporting the same tab) queued an identical export
 * 5 s before ours; our POST then goes unanswered (a reset after Clari created the job, or a
 * SIGKILL of the server mid-POST), and Clari's job list is searched. Clari's clock is 3 minutes
 * ahead of ours, or behind: the search must judge "before" on Clari's clock (learned from its Date
 * headers), find our job and never the other client's. On the folder and on Postgres.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { startFakeClari, type FakeClari, type FakeJob, type FakeModule } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, startServer, stopAll, tempDir, until, type ServerProcess } from "./server-process.js";

const AUDIT_TOOL = "clari_export_audit_events";
const MINUTES_3 = 3 * 60_000;

let cluster: PostgresCluster | undefined;
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

type Backend = "folder" | "postgres";

async function serverOn(backend: Backend, clari: FakeClari): Promise<ServerProcess> {
  const flags = backend === "postgres" ? ["--state", await cluster!.createDatabase()] : [];
  return startServer(clari, { cacheDir: await tempDir(), flags });
}

function ask(server: ServerProcess, module: FakeModule) {
  return module === "AUDIT" ? server.call(AUDIT_TOOL, { waitSeconds: 0 }, { timeoutMs: 30_000 }) : server.call(EXPORT_TOOL, forecastArgs(0), { timeoutMs: 30_000 });
}

/** The one job our server's POST created (the other client's was planted, not posted). */
function ours(clari: FakeClari): FakeJob {
  const posted = clari.jobs().filter((j) => j.posted);
  expect(posted).toHaveLength(1);
  return posted[0]!;
}

describe.each<Backend>(["folder", "postgres"])("case 7 on the %s backend: another client's identical job, 5 s before our intent", (backend) => {
  it.each<[string, number, FakeModule]>([
    ["ahead of ours", MINUTES_3, "FORECAST"],
    ["behind ours", -MINUTES_3, "FORECAST"],
    ["ahead of ours (audit)", MINUTES_3, "AUDIT"],
    ["behind ours (audit)", -MINUTES_3, "AUDIT"],
  ])("Clari's clock 3 min %s, our POST reset after Clari queued it: our job is found, theirs never adopted", async (_name, skew, module) => {
    fake = await startFakeClari({ jobMs: 120_000, clockSkewMs: skew, resetAfterCreate: true });
    const server = await serverOn(backend, fake);
    const theirs = fake.plantJob({ module, agoMs: 5000 });
    const first = await ask(server, module);
    expect(first.answer, String(first.error)).toBeDefined();
    const mine = ours(fake);
    expect(first.answer!.isError, first.answer!.text).toBe(false);
    expect(first.answer!.structured.jobId).toBe(mine.jobId);
    expect(first.answer!.text).toContain(`shows job ${mine.jobId}`);
    expect(first.answer!.text).toMatch(/1 identical-looking job\(s\) started before it, not taken/);
    expect(first.answer!.text).not.toContain(theirs.jobId);
    // Asked again, the request resumes our job: theirs is never taken, nothing more is queued.
    fake.faults.resetAfterCreate = false;
    const again = await ask(server, module);
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(mine.jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(fake.jobs()).toHaveLength(2);
    expect(fake.cancels()).toHaveLength(0);
  });

  it.each<[string, number]>([
    ["ahead of ours", MINUTES_3],
    ["behind ours", -MINUTES_3],
  ])("Clari's clock 3 min %s, the server SIGKILLed mid-POST and restarted: the restart finds our job, not theirs", async (_name, skew) => {
    fake = await startFakeClari({ jobMs: 120_000, clockSkewMs: skew, postDelayMs: 3000, createJobOn: "received" });
    const server = await serverOn(backend, fake);
    const theirs = fake.plantJob({ agoMs: 5000 });
    const inFlight = server.call(EXPORT_TOOL, forecastArgs(10));
    expect(await until(() => fake!.posts().length === 1, 10_000)).toBe(true);
    await server.kill();
    await inFlight;
    const mine = ours(fake);
    fake.faults.postDelayMs = 0;
    const restarted = await server.restart();
    const again = await restarted.call(EXPORT_TOOL, forecastArgs(0), { timeoutMs: 30_000 });
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(mine.jobId);
    expect(again.answer?.structured.jobId).not.toBe(theirs.jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(fake.jobs()).toHaveLength(2);
  });
});
