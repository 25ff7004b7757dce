/**
 * mcp_calls, the audit trail as a query table, seen by callers who must not see each other's
 * calls: a caller without admin reads only their own rows, whatever SQL they send (qualified
 * names, catalog functions, query_table, SUMMARIZE, a dropped or replaced temp table, with the
 * statement check on or off, interleaved with an admin's queries); the shared generation file
 * never holds the table; an admin reads everyone's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryEngine, type QueryAnswer } from "../../src/exports/index.js";
import { silentLogger } from "../../src/logger.js";
import { auditId, memoryAudit } from "../../src/state/audit-trail.js";
import type { AuditRow } from "../../src/state/backend.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
let unchecked: QueryEngine;
const audit = memoryAudit();
/** In every row of alice's: what bob must never see. */
const ALICE_MARK = "alice-only-7f3a";

beforeAll(async () => {
  h = await startHarness({ flags: ["--query-timeout-seconds", "5", "--query-memory-mb", "256"] });
  await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
  unchecked = new QueryEngine({ store: h.deps.store, tables: h.deps.tables, observations: h.deps.observations, logger: silentLogger, timeoutSeconds: 5, memoryMb: 256, statementCheck: false });
  const start = Date.now() - 60_000;
  for (let i = 0; i < 40; i++) {
    const alice = i % 4 !== 0;
    const row: AuditRow = {
      id: auditId(start + i * 1000),
      at: start + i * 1000,
      caller: alice ? `${ALICE_MARK}@idp.example.com` : "bob@idp.example.com",
      ...(alice ? { callerName: `${ALICE_MARK}@example.com` } : {}),
      tool: alice ? "clari_export_forecast" : "clari_query",
      args: JSON.stringify(alice ? { forecastId: ALICE_MARK } : { sql: "SELECT 1" }),
      outcome: i === 8 ? "error" : "ok",
      ...(i === 8 ? { error: "Refused: one statement" } : {}),
      quotaSpent: alice ? 1 : 0,
      ms: i,
    };
    await audit.append(row);
  }
}, 120_000);
afterAll(async () => {
  await unchecked?.close();
  await h.deps.query.close();
  await h.close();
});

const BOB = { caller: "bob@idp.example.com", calls: (limit: number) => audit.list({ caller: "bob@idp.example.com", limit }) };
const ADMIN = { caller: "admin@idp.example.com", calls: (limit: number) => audit.list({ limit }) };

/** The answer or the error, as text: either way it must not carry alice's rows. */
async function ask(engine: QueryEngine, sql: string, who: typeof BOB): Promise<string> {
  try {
    const answer: QueryAnswer = await engine.query(sql, 500, who);
    return JSON.stringify(answer);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Every way we could think of to reach rows that are not one's own. */
const ATTEMPTS = [
  "SELECT * FROM mcp_calls",
  "SELECT * FROM mcp_calls WHERE caller <> 'bob@idp.example.com'",
  "SELECT * FROM main.mcp_calls",
  "SELECT * FROM temp.mcp_calls",
  "SELECT * FROM temp.main.mcp_calls",
  "SELECT * FROM clari.mcp_calls",
  "SELECT * FROM clari.main.mcp_calls",
  "SELECT * FROM clari.raw.mcp_calls",
  "SELECT * FROM system.main.mcp_calls",
  'SELECT * FROM "MCP_CALLS"',
  "SELECT * FROM query_table('mcp_calls')",
  "SELECT * FROM query_table(['mcp_calls', 'temp.main.mcp_calls'])",
  "SELECT * FROM query('SELECT * FROM mcp_calls')",
  "SELECT * FROM duckdb_tables() -- mcp_calls",
  "SELECT * FROM duckdb_columns() WHERE table_name = 'mcp_calls'",
  "SELECT * FROM duckdb_views() -- mcp_calls",
  "SELECT * FROM duckdb_databases() -- mcp_calls",
  "SELECT * FROM duckdb_temporary_files() -- mcp_calls",
  "SELECT * FROM pragma_database_list() -- mcp_calls",
  "SELECT * FROM pragma_storage_info('mcp_calls')",
  "SELECT * FROM information_schema.tables t, information_schema.columns c WHERE t.table_name = 'mcp_calls'",
  "SUMMARIZE mcp_calls",
  "SUMMARIZE SELECT caller, caller_name, arguments FROM mcp_calls",
  "SELECT list(caller), max(arguments), min(caller_name) FROM mcp_calls",
  "SELECT * FROM mcp_calls UNION ALL BY NAME SELECT * FROM temp.main.mcp_calls",
  "WITH mcp_calls AS (SELECT 1) SELECT * FROM temp.main.mcp_calls",
  "EXPLAIN ANALYZE SELECT * FROM mcp_calls",
  "SELECT * FROM mcp_calls AT (VERSION => 1)",
];

/** With the statement check off, one statement a query (a connection each): what one caller does to its own table. */
const UNCHECKED = [
  "DROP TABLE mcp_calls",
  "CREATE OR REPLACE TEMP TABLE mcp_calls AS SELECT * FROM clari.main.exports",
  "ALTER TABLE mcp_calls RENAME TO c",
  "DELETE FROM mcp_calls",
  "DETACH temp",
  "ATTACH ':memory:' AS other",
  "SET search_path = 'clari.main'",
  "SET VARIABLE caller = 'alice'",
  "PREPARE p AS SELECT * FROM mcp_calls",
  "CREATE TEMP VIEW v AS SELECT * FROM mcp_calls",
];

/** What an admin's query could try to leave behind for the next caller, and how that caller would look for it. */
const LEFT_BEHIND: Array<[string, string]> = [
  ["CREATE TEMP TABLE leak AS SELECT * FROM mcp_calls", "SELECT * FROM leak -- mcp_calls"],
  ["CREATE TEMP VIEW leak_view AS SELECT * FROM mcp_calls", "SELECT * FROM leak_view -- mcp_calls"],
  ["SET VARIABLE leaked = (SELECT list(arguments) FROM mcp_calls)", "SELECT getvariable('leaked') -- mcp_calls"],
  ["CREATE TEMP MACRO leaked() AS TABLE SELECT * FROM mcp_calls", "SELECT * FROM leaked() -- mcp_calls"],
  ["PREPARE leaked AS SELECT * FROM mcp_calls", "EXECUTE leaked -- mcp_calls"],
];

describe("mcp_calls", () => {
  it("gives a caller without admin their own rows, and only them", async () => {
    const answer = await h.deps.query.query("SELECT caller, tool, outcome, quota_spent FROM mcp_calls ORDER BY call_id", 500, BOB);
    expect(answer.rows).toHaveLength(10);
    expect(new Set(answer.rows.map((r) => r[0]))).toEqual(new Set(["bob@idp.example.com"]));
    // Bob's own failed call is among them (made with i = 8).
    expect(answer.rows.filter((r) => r[2] === "error")).toHaveLength(1);
  });

  it("gives an admin everyone's rows", async () => {
    const answer = await h.deps.query.query("SELECT caller, count(*)::INTEGER AS n, sum(quota_spent)::INTEGER AS q FROM mcp_calls GROUP BY caller ORDER BY caller", 10, ADMIN);
    expect(answer.rows).toEqual([
      [`${ALICE_MARK}@idp.example.com`, 30, 30],
      ["bob@idp.example.com", 10, 0],
    ]);
  });

  it("cannot be made to show another caller's rows by any SQL, the statement check on or off", async () => {
    for (const sql of ATTEMPTS) expect(await ask(h.deps.query, sql, BOB), sql).not.toContain(ALICE_MARK);
    for (const sql of [...ATTEMPTS, ...UNCHECKED]) expect(await ask(unchecked, sql, BOB), sql).not.toContain(ALICE_MARK);
    // The checks above can see rows: bob's own are there.
    expect(await ask(unchecked, "SELECT * FROM temp.main.mcp_calls", BOB)).toContain("bob@idp.example.com");
  });

  it("keeps each query's rows to its own connection, with an admin's queries interleaved", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(unchecked, "SELECT caller, arguments FROM mcp_calls", i % 2 ? ADMIN : BOB)));
    answers.forEach((text, i) => (i % 2 ? expect(text).toContain(ALICE_MARK) : expect(text).not.toContain(ALICE_MARK)));
    // Whatever an admin's query makes of its rows dies with its connection.
    for (const [admin, bob] of LEFT_BEHIND) {
      const made = await ask(unchecked, admin, ADMIN);
      expect(made, admin).not.toMatch(/^error/);
      expect(await ask(unchecked, bob, BOB), bob).not.toContain(ALICE_MARK);
    }
    // And bob's own changes to his table leave the next admin query whole.
    for (const sql of UNCHECKED) await ask(unchecked, sql, BOB);
    expect((await unchecked.query("SELECT count(*)::INTEGER FROM mcp_calls", 1, ADMIN)).rows).toEqual([[40]]);
  });

  it("is not in the shared generation file, and does not exist for a query that does not name it", async () => {
    expect((await h.deps.query.query("SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = 'mcp_calls' AND NOT temporary", 1, ADMIN)).rows).toEqual([[0]]);
    // Built by name only: a name the SQL does not spell out finds no table (and no rows), even where query_table is let through.
    expect(await ask(unchecked, "SELECT * FROM query_table('mcp' || '_calls')", ADMIN)).toMatch(/^error: .*does not exist/);
    // Without rows handed to the engine (no audit trail given), the table does not exist.
    expect(await ask(h.deps.query, "SELECT * FROM mcp_calls", { caller: "x" } as typeof BOB)).toMatch(/^error: .*mcp_calls does not exist/);
  });
});
