/**
 * clari_query is read-only, time- and memory-limited: each attempt below is refused or stopped
 * with a clear message, and the next query still works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ flags: ["--query-timeout-seconds", "2", "--query-memory-mb", "256"] });
  await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
}, 60_000);
afterAll(() => h.close());

async function call(sql: string) {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql } });
  return { isError: result.isError === true, text: textOf(result) };
}

async function stillWorks(): Promise<void> {
  const next = await call("SELECT count(*) AS n FROM forecast");
  expect(next.isError, next.text).toBe(false);
  expect(next.text).toMatch(/\| n \|/);
}

const REFUSED: Array<[string, RegExp]> = [
  ["SELECT * FROM read_csv('/etc/passwd')", /Refused: the table function read_csv|file system operations are disabled|Permission Error/i],
  ["COPY forecast TO '/tmp/clari-query-copy.csv'", /Refused: COPY/],
  ["ATTACH '/tmp/clari-query.db' AS other", /Refused: ATTACH/],
  ["INSTALL httpfs", /Refused: INSTALL/],
  ["LOAD httpfs", /Refused: LOAD/],
  ["SET memory_limit = '64GB'", /Refused: SET/],
  ["CREATE TABLE mine AS SELECT 1", /Refused: CREATE/],
  ["DROP TABLE forecast", /Refused: DROP/],
  ["PRAGMA enable_profiling", /Refused: PRAGMA/],
  ["EXPORT DATABASE '/tmp/clari-query-export'", /Refused: EXPORT/],
  ["SELECT 1; DROP TABLE forecast", /exactly one/],
  ["/* hidden */ (DELETE FROM forecast)", /Refused: DELETE/],
  ["WITH x AS (SELECT 1) INSERT INTO exports SELECT * FROM exports", /Refused: a INSERT|not allowed|other than one SELECT/],
];

describe("lockdown", () => {
  for (const [sql, message] of REFUSED) {
    it(`refuses ${sql}`, async () => {
      const out = await call(sql);
      expect(out.isError).toBe(true);
      expect(out.text).toMatch(message);
      await stillWorks();
    });
  }

  it("stops a runaway cross join at the time limit", async () => {
    const t = Date.now();
    const out = await call("SELECT count(*) FROM range(10000000) a, range(100000) b WHERE (a.range * 7 + b.range) % 1000003 = -1");
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/time limit/);
    expect(Date.now() - t).toBeLessThan(10_000);
    await stillWorks();
  }, 20_000);

  it("stops a query over the memory cap", async () => {
    const out = await call("SELECT list(repeat('x', 100) || range::VARCHAR) FROM range(20000000)");
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/Out of Memory[\s\S]*--query-memory-mb/);
    await stillWorks();
  }, 30_000);

  it("answers an SQL error with DuckDB's message and the columns of the tables named", async () => {
    const out = await call("SELECT commit_value FROM forecast");
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/commit_value/);
    expect(out.text).toMatch(/forecast\(export_id VARCHAR, forecast_id VARCHAR/);
  });
});
