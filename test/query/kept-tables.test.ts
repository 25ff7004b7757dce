/**
 * The query tables kept for the next run: a new engine on the same folder starts from the
 * generation the last one published, so an export already loaded is not read or parsed again;
 * an export that left the store meanwhile is dropped, a new one loaded.
 */
import { afterAll, describe, expect, it } from "vitest";
import { QueryEngine, TableCache } from "../../src/exports/index.js";
import { createLogger } from "../../src/logger.js";
import { startHarness, tempDir, type Harness } from "../helpers/harness.js";

const open: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
});

function engineOn(h: Harness, folder: string, lines: string[], parsed: string[]): QueryEngine {
  // A table cache that records every export it is asked to parse.
  const tables = new TableCache(h.deps.store);
  const get = tables.get.bind(tables);
  tables.get = (jobId: string) => {
    parsed.push(jobId);
    return get(jobId);
  };
  const logger = createLogger("debug", (line) => void lines.push(line));
  const engine = new QueryEngine({ store: h.deps.store, tables, observations: h.deps.observations, logger, timeoutSeconds: 30, memoryMb: 256, folder });
  open.push(engine);
  return engine;
}

describe("query tables kept across runs", () => {
  it("a restarted engine answers from the kept generation without parsing the export again", async () => {
    const dir = await tempDir("clari-kept-");
    open.push({ close: dir.remove });
    const h = await startHarness({ cacheDir: dir.dir });
    open.push(h);
    const first = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    const jobId = (first.structuredContent as { jobId: string }).jobId;
    const folder = `${dir.dir}/query-test`;
    const COUNT = "SELECT count(*) AS n FROM forecast";

    const parsedBefore: string[] = [];
    const before = engineOn(h, folder, [], parsedBefore);
    const n = (await before.query(COUNT, 1)).rows[0]?.[0];
    expect(Number(n)).toBeGreaterThan(0);
    expect(parsedBefore).toEqual([jobId]);
    await before.close();

    const lines: string[] = [];
    const parsedAfter: string[] = [];
    const after = engineOn(h, folder, lines, parsedAfter);
    expect((await after.query(COUNT, 1)).rows[0]?.[0]).toBe(n);
    expect(parsedAfter).toEqual([]);
    expect(lines.join("")).toMatch(/1 export\(s\) kept from an earlier run/);

    // A second export lands: only it is loaded.
    const second = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "renewals" } });
    const secondId = (second.structuredContent as { jobId: string }).jobId;
    const both = await after.query("SELECT count(DISTINCT export_id) AS e FROM forecast", 1);
    expect(both.rows[0]?.[0]).toBe(2);
    expect(parsedAfter).toEqual([secondId]);
  }, 120_000);
});
