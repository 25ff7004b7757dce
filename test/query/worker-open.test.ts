/**
 * The query worker opens a generation once, however many times it is asked: the server asks
 * twice when the same open starts the worker (once as it starts it, once itself), and a second
 * DuckDB instance on the file was left open beside the first (its memory and a file handle, for
 * as long as the worker lived). Counted from the file handles this process holds on the file.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Generations } from "../../src/exports/query/generations.js";
import type { FromWorker } from "../../src/exports/query/worker/protocol.js";
import { serveQueries, type QueryService } from "../../src/exports/query/worker/serve-queries.js";

/** File handles of this process on `file` (Linux: /proc/self/fd). */
function handlesOn(file: string): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

describe.runIf(process.platform === "linux")("the query worker's open", () => {
  const closing: Array<() => unknown> = [];
  afterEach(async () => {
    while (closing.length) await closing.pop()!();
  });

  it("opens a generation asked for twice at once only once, and answers both", async () => {
    const generations = new Generations(256);
    closing.push(() => generations.close());
    const { generation, file } = await generations.next(async () => undefined);
    const sent: FromWorker[] = [];
    const service: QueryService = serveQueries((message) => sent.push(message), { memoryMb: 256, threads: 1, scrub: (text) => text });
    closing.push(() => service.close());
    service.handle({ type: "open", generation, file });
    service.handle({ type: "open", generation, file });
    await expect.poll(() => sent.filter((m) => m.type === "opened").length).toBe(2);
    expect(sent.filter((m) => m.type === "opened" && m.error)).toEqual([]);
    expect(handlesOn(file)).toBe(1);
    // Asked again later (the worker restarted by the server resends the newest), still one.
    service.handle({ type: "open", generation, file });
    await expect.poll(() => sent.filter((m) => m.type === "opened").length).toBe(3);
    expect(handlesOn(file)).toBe(1);
    service.handle({ type: "query", id: 1, generation, sql: "SELECT count(*) AS n FROM forecast", bounds: { limit: 5, cellBytes: 4096, totalBytes: 65536 }, statementCheck: true, timeoutMs: 10_000 });
    await expect.poll(() => sent.find((m) => m.type === "result" || m.type === "error")).toMatchObject({ type: "result", id: 1, result: { rows: [[0]] } });
  });
});
