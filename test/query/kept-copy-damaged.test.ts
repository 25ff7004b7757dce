/**
 * The query tables a previous process kept (`latest-<schema>.duckdb`) damaged before a restart:
 * cut short, zeroed or emptied. The restarted engine sets the copy aside, loads the stored
 * exports again and answers; before, every query failed the same way, with nothing saying why
 * or what to do (found by a red-team pass).
 */
import { readdir, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QueryEngine, TableCache } from "../../src/exports/index.js";
import { Generations } from "../../src/exports/query/generations.js";
import { createLogger } from "../../src/logger.js";
import { startHarness, tempDir, type Harness } from "../helpers/harness.js";

const open: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
});

function engineOn(h: Harness, folder: string, lines: string[]): QueryEngine {
  const logger = createLogger("debug", (line) => void lines.push(line));
  const engine = new QueryEngine({ store: h.deps.store, tables: new TableCache(h.deps.store), observations: h.deps.observations, logger, timeoutSeconds: 30, memoryMb: 256, folder, inProcess: true });
  open.push(engine);
  return engine;
}

const COUNT = "SELECT count(*) AS n FROM forecast";

describe("a damaged kept copy of the query tables", () => {
  it.each(["cut short", "zeroed", "empty"])("%s: set aside, the exports loaded again, and the restart answers", async (how) => {
    const dir = await tempDir("clari-kept-damaged-");
    open.push({ close: dir.remove });
    const h = await startHarness({ cacheDir: dir.dir });
    open.push(h);
    await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    const folder = path.join(dir.dir, "query-test");
    const before = engineOn(h, folder, []);
    const rows = Number((await before.query(COUNT, 1)).rows[0]?.[0]);
    expect(rows).toBeGreaterThan(0);
    await before.close();
    const latest = path.join(folder, (await readdir(folder)).find((f) => /^latest-.*\.duckdb$/.test(f)) as string);
    const size = (await stat(latest)).size;
    if (how === "cut short") await truncate(latest, Math.floor(size / 2));
    if (how === "zeroed") await writeFile(latest, Buffer.alloc(size));
    if (how === "empty") await truncate(latest, 0);

    const lines: string[] = [];
    const after = engineOn(h, folder, lines);
    expect((await after.query(COUNT, 1)).rows).toEqual([[rows]]);
    expect(lines.some((line) => /kept by an earlier run could not be read.*set aside/.test(line))).toBe(true);
    expect((await readdir(folder)).some((f) => /\.bad-\d+$/.test(f))).toBe(true);
  }, 120_000);
});

describe("a first generation from a whole kept copy that fails for another reason", () => {
  it("keeps the copy (an interrupt at shutdown, say, is no fault of the file)", async () => {
    const dir = await tempDir("clari-kept-whole-");
    open.push({ close: dir.remove });
    const first = new Generations(256, dir.dir);
    await first.next(async (con) => void (await con.run("CREATE TABLE raw.marker AS SELECT 42 AS n")));
    await first.close();
    const names = async () => (await readdir(dir.dir)).filter((name) => name.startsWith("latest-"));
    const kept = await names();
    expect(kept).toHaveLength(1);

    const restarted = new Generations(256, dir.dir);
    open.push({ close: () => restarted.close() });
    await expect(restarted.next(async () => Promise.reject(new Error("INTERRUPT Error: Interrupted!")))).rejects.toThrow(/INTERRUPT/);
    expect(await names()).toEqual(kept);
    let marker: unknown;
    await restarted.next(async (con, fresh) => {
      expect(fresh).toBe(false);
      marker = (await con.runAndReadAll("SELECT n FROM raw.marker")).getRows()[0]?.[0];
    });
    expect(marker).toBe(42);
  }, 60_000);
});
