/**
 * A damaged index.json: the server still starts and serves, keeps the damaged bytes aside for
 * inspection, and recovers a job the damaged journal held from Clari's own job list.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, startServer, stopAll, storeDir, type ServerProcess } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

/** Files beside index.json in the store folder holding exactly these bytes. */
async function copiesAside(dir: string, original: Buffer): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    if (name === "index.json" || !(await stat(full)).isFile()) continue;
    if ((await readFile(full)).equals(original)) found.push(name);
  }
  return found;
}

/** Half of the index a finished export leaves behind. */
async function truncatedRealIndex(server: ServerProcess): Promise<Buffer> {
  const { answer } = await server.call(EXPORT_TOOL, forecastArgs(10));
  expect(answer?.structured.outcome).toBe("done");
  const real = await readFile(path.join(await storeDir(server.cacheDir), "index.json"));
  return real.subarray(0, Math.floor(real.length / 2));
}

const DAMAGE: Array<[string, (server: ServerProcess) => Promise<Buffer>]> = [
  ["null", async () => Buffer.from("null")],
  ['{"exports":5}', async () => Buffer.from('{"exports":5}')],
  ["a truncated half of a real one", truncatedRealIndex],
];

describe.sequential("7. a damaged index.json", () => {
  it.each(DAMAGE)("index.json holding %s: the server starts, serves and moves the bad file aside", async (_name, damage) => {
    fake = await startFakeClari({ jobMs: 500 });
    const first = await startServer(fake);
    const bytes = await damage(first);
    await first.kill();
    const dir = await storeDir(first.cacheDir);
    await writeFile(path.join(dir, "index.json"), bytes);

    const server = await first.restart();
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name)).toContain(EXPORT_TOOL);
    const { answer } = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(answer?.isError, answer?.text).toBe(false);
    expect(["done", "reused"]).toContain(answer?.structured.outcome);
    expect(await copiesAside(dir, bytes)).not.toEqual([]);
  });

  it("a job whose journal record was truncated (and the index damaged too) is recovered from Clari's job list", async () => {
    fake = await startFakeClari({ jobMs: 6000 });
    const first = await startServer(fake);
    const running = await first.call(EXPORT_TOOL, forecastArgs(1));
    expect(running.answer?.structured.outcome).toBe("running");
    const jobId = fake.jobs()[0]!.jobId;
    await first.kill();
    // The journal of jobs in flight lives apart from index.json, one record per request.
    const store = await storeDir(first.cacheDir);
    const records = (await readdir(path.join(store, "journal"))).filter((f) => f.endsWith(".json"));
    expect(records).toHaveLength(1);
    const file = path.join(store, "journal", records[0]!);
    const real = await readFile(file);
    expect(real.toString("utf8")).toContain(jobId);
    await writeFile(file, real.subarray(0, Math.floor(real.length / 2)));
    await writeFile(path.join(store, "index.json"), "null");

    const server = await first.restart();
    const again = await server.call(EXPORT_TOOL, forecastArgs(10));
    expect(again.answer?.isError, again.answer?.text).toBe(false);
    expect(again.answer?.structured.jobId).toBe(jobId);
    expect(again.answer?.text).toMatch(/job list shows job/);
    expect(fake.posts()).toHaveLength(1);
    // The damaged record's bytes are kept beside the journal, not deleted.
    const kept = (await readdir(path.join(store, "journal"))).filter((f) => !f.endsWith(".json"));
    expect(kept.length).toBeGreaterThan(0);
  });
});
