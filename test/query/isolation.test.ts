/**
 * clari_query shared by callers who must not harm each other: no statement changes what another
 * query sees (proved with the friendly statement check switched off), answers are bounded in
 * bytes before values reach JavaScript, the worker's memory stays under the cap, a time limit or
 * a cancel stops any query, callers take turns, and DuckDB's messages name no server path.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryEngine, type QueryAnswer } from "../../src/exports/index.js";
import { silentLogger } from "../../src/logger.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
/** The same stored data, with the statement check off: what keeps the data safe must be the reader itself. */
let unchecked: QueryEngine;

beforeAll(async () => {
  // A generous time limit: these tests must not depend on the machine's speed (the time limit has its own engine below).
  h = await startHarness({ flags: ["--query-timeout-seconds", "60", "--query-memory-mb", "256"] });
  await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
  await h.client.callTool({ name: "clari_export_audit_events", arguments: {} });
  unchecked = new QueryEngine({ store: h.deps.store, tables: h.deps.tables, observations: h.deps.observations, logger: silentLogger, timeoutSeconds: 10, memoryMb: 256, statementCheck: false });
}, 120_000);
afterAll(async () => {
  await unchecked?.close();
  await h.deps.query.close();
  await h.close();
});

/** Every table and view of the database, each with its row count and a hash of all its rows. */
const CHECKSUM = `SELECT string_agg(t || ':' || n || ':' || s, ' ' ORDER BY t) FROM (
  SELECT 'exports' t, count(*) n, sum(hash(x)) s FROM exports x UNION ALL SELECT 'people', count(*), sum(hash(x)) FROM people x
  UNION ALL SELECT 'reports_to', count(*), sum(hash(x)) FROM reports_to x UNION ALL SELECT 'forecast', count(*), sum(hash(x)) FROM forecast x
  UNION ALL SELECT 'audit_events', count(*), sum(hash(x)) FROM audit_events x UNION ALL SELECT 'raw.forecast_facts', count(*), sum(hash(x)) FROM raw.forecast_facts x
  UNION ALL SELECT 'opportunities', count(*), sum(hash(x)) FROM opportunities x UNION ALL SELECT 'tables', count(*), sum(hash(table_name || column_count)) FROM duckdb_tables() x
  UNION ALL SELECT 'views', count(*), sum(hash(view_name || sql)) FROM duckdb_views() x WHERE NOT internal)`;

async function checksum(engine: QueryEngine, caller: string): Promise<string> {
  const answer = await engine.query(CHECKSUM, 1, { caller });
  return String(answer.rows[0]?.[0]);
}

/** One of every kind of statement DuckDB has, aimed at the shared data. */
const ATTEMPTS = [
  "UPDATE raw.forecast_facts SET value = value * 2",
  "EXPLAIN ANALYZE UPDATE raw.forecast_facts SET value = value * 2",
  "EXPLAIN ANALYZE DELETE FROM people",
  "DELETE FROM people",
  "INSERT INTO exports SELECT * FROM exports",
  "CREATE TABLE mine AS SELECT 1 AS x",
  "CREATE OR REPLACE VIEW forecast AS SELECT 1 AS x",
  "CREATE TEMP VIEW forecast AS SELECT 1 AS value",
  "CREATE MACRO forecast() AS TABLE SELECT 1",
  "CREATE SCHEMA mine",
  "CREATE SEQUENCE s",
  "CREATE TYPE mood AS ENUM ('a')",
  "CREATE INDEX i ON people (user_id)",
  "DROP VIEW forecast",
  "DROP TABLE people",
  "ALTER TABLE people RENAME TO folks",
  "ALTER VIEW forecast RENAME TO f",
  "TRUNCATE people",
  "COMMENT ON TABLE people IS 'x'",
  "PREPARE p AS DELETE FROM people",
  "EXECUTE p",
  "DEALLOCATE p",
  "CALL checkpoint()",
  "CHECKPOINT",
  "VACUUM",
  "ANALYZE",
  "PRAGMA disable_optimizer",
  "SET memory_limit = '64GB'",
  "RESET memory_limit",
  "SET VARIABLE v = 1",
  "SET search_path = 'raw'",
  "ATTACH ':memory:' AS m",
  "ATTACH '/tmp/clari-isolation.duckdb' AS f",
  "DETACH clari",
  "USE system",
  "COPY people TO '/tmp/clari-isolation.csv'",
  "COPY people FROM '/etc/hostname'",
  "EXPORT DATABASE '/tmp/clari-isolation-export'",
  "IMPORT DATABASE '/tmp/clari-isolation-export'",
  "INSTALL httpfs",
  "LOAD httpfs",
  "BEGIN TRANSACTION",
  "COMMIT",
  "ROLLBACK",
  "MERGE INTO people USING people p2 ON people.user_id = p2.user_id WHEN MATCHED THEN DELETE",
  "PIVOT people ON level USING count(*)",
  "UNPIVOT people ON name INTO NAME k VALUE v",
  "WITH x AS (SELECT 1) DELETE FROM people",
  "SELECT * FROM query('DELETE FROM people')",
  "SELECT * FROM read_csv('/etc/passwd')",
  "SELECT 1; DELETE FROM people",
  "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
  "UPDATE EXTENSIONS",
];

describe("clari_query shared by callers", () => {
  it("no statement, with the statement check off, changes what another caller's query sees", async () => {
    const before = await checksum(unchecked, "bob");
    expect(before).toMatch(/forecast:\d+:/);
    const outcomes: string[] = [];
    for (const sql of ATTEMPTS) {
      const outcome = await unchecked.query(sql, 5, { caller: "mallory" }).then(
        () => "ran",
        (error: Error) => error.message.split("\n")[0] ?? "",
      );
      outcomes.push(`${sql} -> ${outcome}`);
      // Another caller, and mallory herself on her next query: nothing changed.
      expect(await checksum(unchecked, "bob"), `${sql} (${outcome})`).toBe(before);
      expect(await checksum(unchecked, "mallory"), `${sql} (${outcome})`).toBe(before);
    }
    // The writes were refused by the reader itself (READ_ONLY, locked), not by a statement check.
    expect(outcomes.find((o) => o.startsWith("UPDATE raw"))).toMatch(/read-only mode/);
    expect(outcomes.find((o) => o.startsWith("DETACH"))).toMatch(/default database/);
    expect(outcomes.find((o) => o.startsWith("SET memory_limit"))).toMatch(/configuration has been locked/);
  }, 180_000);

  it("caps a cell and the whole answer in bytes, before the value reaches JavaScript", async () => {
    const big = await h.deps.query.query("SELECT repeat('x', 50000000) AS s, 1 AS n", 5, { caller: "a" });
    const cell = String(big.rows[0]?.[0]);
    expect(cell).toMatch(/^\[50,000,00\d bytes: over the 4,096-byte cell limit/);
    expect(big.rows[0]?.[1]).toBe(1);
    const lists = await h.deps.query.query("SELECT range(100000) AS l FROM range(100)", 500, { caller: "a" });
    expect(lists.rows).toHaveLength(100);
    expect(lists.rows.every((r) => /over the 4,096-byte cell limit/.test(String(r[0])))).toBe(true);
    const wide = await h.deps.query.query("SELECT repeat('y', 4000) AS s FROM range(1000)", 500, { caller: "a" });
    expect(wide.rows.length).toBeLessThan(500);
    expect(wide.row_count).toBe(1000);
    expect(JSON.stringify(wide.rows).length).toBeLessThanOrEqual(128 * 1024);
    expect(wide.warnings.join(" ")).toMatch(/answer cut at [\d,]+ bytes \(the 131,072-byte limit\)/);
  }, 60_000);

  it("answers NULL for a NULL text or list, whatever its slot in DuckDB's vector holds", async () => {
    // A NULL's string header or list entry keeps what its slot held before (these two showed
    // "[2,054,8.. bytes: over the cell limit" where NULL was due).
    for (const sql of [
      "SELECT if(i % 2 = 0, NULL, repeat('w', 9000)) AS s, if(i % 2 = 0, NULL, range(9000)) AS l FROM range(40) t(i)",
      "SELECT (SELECT repeat('v', 8000) WHERE i % 2 = 1) AS s, (SELECT range(8000) WHERE i % 2 = 1) AS l FROM range(40) t(i)",
    ]) {
      const out = await h.deps.query.query(sql, 40, { caller: "a" });
      expect(out.rows.filter((_, i) => i % 2 === 0), sql).toEqual(Array.from({ length: 20 }, () => [null, null]));
      expect(out.rows.filter((_, i) => i % 2 === 1).every((r) => r.every((c) => /over the 4,096-byte cell limit/.test(String(c)))), sql).toBe(true);
    }
  }, 60_000);

  it("keeps the query worker's memory under the cap, lists, strings and unnest included", async () => {
    // Each either answers (bounded) or stops at the memory bound; none grows the worker past it.
    for (const sql of ["SELECT unnest(range(40000000)) AS i", "SELECT range(1000000) AS l FROM range(100)", "SELECT list(i) FROM range(50000000) t(i)"]) {
      const out = await h.deps.query.query(sql, 5, { caller: "a" }).then((a) => `${a.rows.length} rows`, (e: Error) => e.message);
      expect(out, sql).toMatch(/^\d+ rows$|memory bound \(--query-memory-mb 256\)/);
    }
    const huge = await h.deps.query.query("SELECT unnest(range(300000000)) AS i", 5, { caller: "a" }).catch((e: Error) => e);
    expect(String(huge)).toMatch(/memory bound \(--query-memory-mb 256\)/);
    const strings = await h.deps.query.query("SELECT length(repeat('x', 300000000)) AS n", 5, { caller: "a" }).then((a) => `answered ${String(a.rows[0]?.[0])}`, (e: Error) => e.message);
    expect(strings).toMatch(/^answered 300000000$|memory bound|short of memory/);
    const pid = h.deps.query.workerPid;
    expect(pid).toBeGreaterThan(0);
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
    // The cap (256 MB) plus the documented worker overhead (512 MB) and DuckDB's mapped code.
    expect(hwm).toBeLessThan(256 + 512 + 128);
    const after = await h.deps.query.query("SELECT 42 AS answer", 1, { caller: "a" });
    expect(after.rows).toEqual([[42]]);
  }, 120_000);

  it("stops a query at the time limit, and a cancelled one at once; the next query works", async () => {
    const limited = new QueryEngine({ store: h.deps.store, tables: h.deps.tables, observations: h.deps.observations, logger: silentLogger, timeoutSeconds: 1, memoryMb: 256 });
    try {
      // Hours of work at any speed: only the time limit ends it.
      const slow = await limited.query("SELECT count(*) FROM range(100000000000000)", 1, { caller: "a" }).catch((e: Error) => e);
      expect(String(slow)).toMatch(/time limit \(--query-timeout-seconds\)/);
      expect((await limited.query("SELECT 42", 1, { caller: "a" })).rows).toEqual([[42]]);
    } finally {
      await limited.close();
    }
    const controller = new AbortController();
    const cancelled = h.deps.query.query("SELECT count(*) FROM range(100000000000000)", 1, { caller: "a", signal: controller.signal }).catch((e: Error) => e);
    setTimeout(() => controller.abort(), 300);
    expect(String(await cancelled)).toMatch(/cancelled/);
    expect((await h.deps.query.query("SELECT 42", 1, { caller: "a" })).rows).toEqual([[42]]);
  }, 120_000);

  it("serves callers in turn: B's SELECT 42 answers while A's slow queries are still queued", async () => {
    const done: string[] = [];
    const slow = "SELECT count(*) FROM range(400000000) WHERE range % 7 = 3";
    const a = [1, 2, 3, 4].map((i) =>
      h.deps.query.query(slow, 1, { caller: "alice" }).then(
        () => done.push(`a${i}`),
        () => done.push(`a${i}`),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    const b: QueryAnswer = await h.deps.query.query("SELECT 42 AS answer", 1, { caller: "bob" });
    done.push("b");
    expect(b.rows).toEqual([[42]]);
    // Alice's queries run one at a time: when Bob's answer came, at most one of hers had ended.
    expect(done.indexOf("b")).toBeLessThanOrEqual(1);
    await Promise.all(a);
    expect(done).toHaveLength(5);
  }, 240_000);

  it("refuses functions that change the shared reader or describe the server; one caller's SQL never reaches another", async () => {
    for (const sql of [
      "SELECT * FROM enable_logging(['QueryLog'])",
      "SELECT * FROM enable_profiling()",
      "SELECT * FROM enable_peg_parser()",
      "SELECT * FROM query('SELECT 1 AS x')",
      "SELECT current_setting('temp_directory')",
      "SELECT path FROM duckdb_databases()",
      "SELECT * FROM duckdb_settings()",
      // The same as views, named without parentheses (they show the generation file's path under HOME).
      "SELECT path FROM duckdb_databases",
      "SELECT * FROM pragma_database_list",
      "SELECT * FROM main.duckdb_settings",
      "SELECT * FROM duckdb_logs",
      // DuckDB's PostgreSQL and SQLite look-alike views over the same functions (pg_settings shows the reader's paths).
      "SELECT name, setting FROM pg_catalog.pg_settings",
      "SELECT * FROM pg_settings WHERE name = 'allowed_paths'",
      "SELECT * FROM system.pg_catalog.pg_database",
      "SELECT * FROM sqlite_master",
      "SELECT * FROM (SELECT * FROM pg_catalog.pg_proc) p",
      "SUMMARIZE pg_settings",
      "DESCRIBE pg_catalog.pg_settings",
      'SELECT * FROM "PG_SETTINGS"',
      "WITH s AS (SELECT * FROM pg_settings) SELECT * FROM s",
      "EXPLAIN ANALYZE SELECT 1",
      "WITH x AS (SELECT * FROM enable_logging()) SELECT * FROM x",
      "SELECT (SELECT count(*) FROM disable_logging())",
    ]) {
      const out = await h.deps.query.query(sql, 5, { caller: "mallory" }).then(() => "ran", (e: Error) => e.message);
      expect(out, sql).toMatch(/^Refused: /);
    }
    await h.deps.query.query("SELECT 'bob private: ACME renewal at risk' AS note", 1, { caller: "bob" });
    const logs = await h.deps.query.query("SELECT * FROM duckdb_logs", 50, { caller: "mallory" }).then((a) => JSON.stringify(a.rows), (e: Error) => e.message);
    expect(logs).not.toContain("ACME renewal");
    // What questions need still works.
    const ok = await h.deps.query.query("SELECT count(*) FROM range(10) r, unnest([1, 2]) u, duckdb_tables() t WHERE t.table_name = 'people'", 1, { caller: "a" });
    expect(ok.rows).toEqual([[20]]);
    const described = await h.deps.query.query("SELECT count(*) FROM duckdb_columns WHERE table_name = 'people'", 1, { caller: "a" });
    expect(Number(described.rows[0]![0])).toBeGreaterThan(5);
    const listed = await h.deps.query.query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'people'", 1, { caller: "a" });
    expect(Number(listed.rows[0]![0])).toBeGreaterThan(5);
  }, 60_000);

  it("measures nested values before converting them, so a struct bomb neither blocks nor crashes the worker", async () => {
    const started = h.deps.query.query("SELECT {'a': range(5000)} AS s FROM range(2048)", 500, { caller: "mallory" });
    const bob = await h.deps.query.query("SELECT 42 AS answer", 1, { caller: "bob" });
    expect(bob.rows).toEqual([[42]]);
    // Answered with every cell marked over the limit, or stopped at the memory bound: never converted whole.
    const bomb = await started.then((a) => a.rows.map((r) => String(r[0])), (e: Error) => [e.message]);
    expect(bomb.length).toBeGreaterThan(0);
    expect(bomb.every((cell) => /over the 4,096-byte cell limit|memory bound/.test(cell)), bomb[0]).toBe(true);
    const text = await h.deps.query.query("SELECT {'a': repeat('x', 100000000)} AS s", 1, { caller: "mallory" }).then((a) => String(a.rows[0]?.[0]), (e: Error) => e.message);
    expect(text).toMatch(/over the 4,096-byte cell limit|memory bound/);
  }, 120_000);

  it("cuts error messages and column names in bytes", async () => {
    const error = await h.deps.query.query("SELECT CAST(repeat('y', 10 * 1024 * 1024) AS INTEGER)", 1, { caller: "a" }).then(() => "answered", (e: Error) => e.message);
    expect(error).toMatch(/cut at 2000 characters|memory bound/);
    expect(error.length).toBeLessThan(6000);
    const named = await h.deps.query.query(`SELECT 1 AS "${"n".repeat(5000)}"`, 1, { caller: "a" });
    expect(named.columns[0]?.name.length).toBeLessThanOrEqual(260);
  }, 60_000);

  it("names no server path in DuckDB's messages", async () => {
    const out = await h.deps.query.query(`SELECT * FROM read_csv('${homedir()}/.bashrc')`, 1, { caller: "a" }).catch((e: Error) => e);
    expect(String(out)).toMatch(/Refused: the table function read_csv|file system operations are disabled|LocalFileSystem has been disabled/);
    expect(String(out)).not.toContain(homedir());
  });
});
