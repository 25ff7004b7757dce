/**
 * A Tasks client's export whose queue POST is in flight when the cache folder's disk fills: Clari
 * queues the job, the journal and the task's record cannot be written. The answer still names
 * the job and how to follow it (the tool's own answer, with a note that no task was made),
 * never a bare "ENOSPC" that hides a queued job; one job on Clari (found by a red-team pass).
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer } from "../e2e/http-server.js";
import { rpc } from "../tasks/task-client.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { stopAll, tempDir, until } from "./server-process.js";
import { smallDisk, type SmallDisk } from "./small-disk.js";

let fake: FakeClari | undefined;
let disk: SmallDisk | undefined;
const servers: Array<{ close(signal?: NodeJS.Signals): Promise<void> }> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close("SIGKILL");
  await disk?.unmount();
  await stopAll();
  await fake?.close();
});

describe("a Tasks client's export on a disk that fills mid-POST", () => {
  it("is answered with the job Clari queued and the call that follows it", async () => {
    fake = await startFakeClari({ jobMs: 120_000, postDelayMs: 3000, createJobOn: "received" });
    disk = await smallDisk(path.join(await tempDir(), "cache"));
    const server = await startHttpServer(["--stateless", "--cache-dir", disk.dir], { CLARI_API_KEY: fake.apiKey, CLARI_BASE_URL: fake.v4Url, CLARI_INGEST_BASE_URL: fake.v2Url });
    servers.push(server);
    const args = { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport: ["forecast", "quota"] };
    const inFlight = rpc(server.url, "tools/call", { name: "clari_export_forecast", arguments: args }, { name: "clari_export_forecast" });
    expect(await until(() => fake!.posts().length === 1, 10_000)).toBe(true);
    await disk.fill();
    const answer = await inFlight;
    const jobId = fake.jobs()[0]!.jobId;
    const shown = JSON.stringify(answer.result ?? answer.error);
    expect(shown).toContain(jobId);
    expect(shown).toContain("clari_wait_for_job");
    expect(shown).toMatch(/No task was made for it: its record could not be written/);
    expect(shown).not.toMatch(/"isError":true/);
    expect(fake.posts()).toHaveLength(1);
  }, 120_000);
});
