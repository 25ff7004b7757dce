/**
 * A forecast download whose damage shows only at its end (a body of the declared length, cut
 * inside its last entry) is never published: not in index.json, not under its name in files/,
 * not even for the moment between the store and the check. Before, it was listed first and
 * discarded after its parse: a process SIGKILLed in between left it to the next one as whole,
 * reused with no word (found by a red-team pass). Also after a SIGKILL mid-download, the restarted
 * server asks again rather than reusing anything.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeTables } from "../exports/fixtures.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, sleep, startServer, stopAll, storeDir } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
});

/** About `bytes` of a valid forecast export (tables shape), cut inside its last entry. */
function cutBody(bytes: number): Buffer {
  const text = writeTables();
  const { entries } = JSON.parse(text) as { entries: Array<Record<string, unknown>> };
  const parts = [text.slice(0, -2)];
  for (let i = 0, size = parts[0]!.length; size < bytes; i++) {
    const entry = `,${JSON.stringify({ ...entries[i % entries.length], forecastValue: i })}`;
    parts.push(entry);
    size += entry.length;
  }
  parts.push(',{"userId":"280627:00E4M0000');
  return Buffer.from(parts.join(""));
}

/** What the store folder lists under `jobId` (index entry or file of that name), polled until `done`. */
async function watchStore(store: string, done: () => boolean): Promise<string[]> {
  const seen: string[] = [];
  while (!done()) {
    const index = await readFile(path.join(store, "index.json"), "utf8").catch(() => "");
    if (/"jobId"/.test(index)) seen.push(`index.json: ${index.slice(0, 200)}`);
    const files = await readdir(path.join(store, "files")).catch(() => [] as string[]);
    for (const name of files) if (!name.endsWith(".part")) seen.push(`files/${name}`);
    await sleep(2);
  }
  return seen;
}

/**
 * A server whose fake Clari answers every results request with `body` (of its declared length):
 * the answer to `tool`, and what the store listed while it was asked.
 */
async function exportWatching(body: Buffer, tool: string, args: Record<string, unknown>) {
  fake = await startFakeClari({ jobMs: 300 });
  fake.faults.hook = (request, _req, res) => {
    if (!/\/results$/.test(request.path)) return false;
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
    return true;
  };
  const server = await startServer(fake);
  let answered = false;
  const call = server.call(tool, args).finally(() => (answered = true));
  const store = await storeDir(server.cacheDir).catch(async () => {
    await sleep(200);
    return storeDir(server.cacheDir);
  });
  const seen = await watchStore(store, () => answered);
  return { server, seen, answer: (await call).answer };
}

describe("a download found damaged at its end", () => {
  it("is never listed or named in the store, and the caller is told it was damaged", async () => {
    const { server, seen, answer } = await exportWatching(cutBody(40 * 1024 * 1024), EXPORT_TOOL, forecastArgs(50));
    expect(answer?.isError).toBe(true);
    expect(answer?.text).toMatch(/damaged/);
    expect(seen).toEqual([]);

    // Killed and started again on the same folder: nothing is reused; the export is fetched again.
    await server.kill();
    const again = await (await server.restart()).call(EXPORT_TOOL, forecastArgs(50));
    expect(again.answer?.structured.outcome).not.toBe("reused");
    expect(again.answer?.text).toMatch(/damaged/);
  }, 180_000);

  it("an audit export that is not whole JSON is never listed either", async () => {
    const body = Buffer.from(`{"items":[${Array.from({ length: 20_000 }, (_, i) => `{"actorId":"u${i}","event":"login","eventTimestamp":"2026-01-01T00:00:00Z"}`).join(",")}`);
    const { seen, answer } = await exportWatching(body, "clari_export_audit_events", { waitSeconds: 30 });
    expect(answer?.isError).toBe(true);
    expect(answer?.text).toMatch(/damaged/);
    expect(seen).toEqual([]);
  }, 180_000);
});
