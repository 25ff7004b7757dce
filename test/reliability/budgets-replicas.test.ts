/**
 * Export budgets and the audit trail across replicas: two built servers (stateless HTTP, named
 * bearer tokens) on one real Postgres, against the fake Clari. With --export-budget 20/day the 21st
 * export of a person's day is refused on either replica, saying when the budget refills and which
 * exports of the tab are stored; reusing a stored export and joining a queued job spend nothing;
 * both replicas asked for the last unit at the same moment give it to exactly one (one Clari job);
 * a POST Clari refused gives its unit back, one that got no answer keeps it. Every tool call is an
 * audit row naming its caller, tool, outcome and quota spent, and no key, token or password is in
 * any table, in any encoding, even when a call's arguments carried them.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../e2e/http-server.js";
import { findLeaks, encodingsOf } from "../helpers/key-encodings.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { callTool } from "../tasks/task-client.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { nextUtcMidnight, sleep, stopAll, tempDir } from "./server-process.js";

const TOKENS = { alice: "alice-token-5f0c1d2e3a4b6978", bob: "bob-token-9a8b7c6d5e4f3021", carol: "carol-token-1122aabbccddeeff" } as const;
type Person = keyof typeof TOKENS;

let cluster: PostgresCluster;
let fake: FakeClari;
const servers: Array<Awaited<ReturnType<typeof startHttpServer>>> = [];

beforeAll(async () => {
  [cluster, fake] = await Promise.all([startPostgres(), startFakeClari({ jobMs: 1000 })]);
}, 60_000);
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close("SIGKILL");
  fake.faults.hook = undefined;
  await stopAll();
});
afterAll(async () => {
  await fake?.close();
  await cluster?.stop();
});

/** Two replicas on a fresh database; returns their /mcp URLs and the database URL. */
async function replicas(budget: string, flags: string[] = []): Promise<{ db: string; a: string; b: string }> {
  const db = await cluster.createDatabase();
  const dir = await tempDir();
  const tokens = path.join(dir, "tokens");
  writeFileSync(tokens, Object.entries(TOKENS).map(([name, token]) => `${name}:${token}`).join("\n"), { mode: 0o600 });
  const env = { CLARI_API_KEY: fake.apiKey, CLARI_BASE_URL: fake.v4Url, CLARI_INGEST_BASE_URL: fake.v2Url };
  const started = await Promise.all(
    ["a", "b"].map(async (name) => startHttpServer(["--stateless", "--cache-dir", await tempDir(`clari-${name}-`), "--state", db, "--http-tokens-file", tokens, "--export-budget", budget, ...flags], env)),
  );
  servers.push(...started);
  return { db, a: started[0]!.url, b: started[1]!.url };
}

interface Answer {
  isError: boolean;
  text: string;
  structured: { outcome?: string; jobId?: string };
}

async function call(url: string, who: Person, name: string, args: Record<string, unknown>): Promise<Answer> {
  const result = await callTool(url, name, args, { tasks: false, token: TOKENS[who] });
  const text = ((result.content as Array<{ text?: string }> | undefined) ?? []).map((c) => c.text ?? "").join("\n");
  return { isError: result.isError === true, text, structured: (result.structuredContent ?? {}) as Answer["structured"] };
}

const exportOf = (forecastId: string, timePeriod = "2026_Q4", waitSeconds = 0) => ({ forecastId, timePeriod, typesToExport: ["forecast", "quota"], waitSeconds });

async function rows(db: string, sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The next queue POST is answered `status` (and creates no job). */
function refuseNextPost(status: number): void {
  fake.faults.hook = (request, _req, res) => {
    if (request.method !== "POST" || !request.path.startsWith("/v4/export/forecast/")) return false;
    fake.faults.hook = undefined;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: status === 400 ? "invalid_request" : "service_unavailable", message: `refused with ${status}` }));
    return true;
  };
}

const refused = (answer: Answer): boolean => answer.isError && /export budget \(\w+\) is spent/.test(answer.text);

describe.sequential("export budgets across replicas on one Postgres", () => {
  it("refuses the 21st export of the day on either replica; reusing and joining spend nothing", async () => {
    const midnight = await nextUtcMidnight();
    const { db, a, b } = await replicas("20/day");
    const posts = fake.posts().length;
    // The first: waited on until stored.
    const first = await call(a, "alice", "clari_export_forecast", exportOf("net_bookings", "2026_Q4", 20));
    expect(first.structured.outcome, first.text).toBe("done");
    // Nineteen more, each queued and left running (for a minute), on both replicas in turn.
    fake.faults.jobMs = 60_000;
    const queued: Answer[] = [];
    for (let i = 2; i <= 20; i++) queued.push(await call(i % 2 ? a : b, "alice", "clari_export_forecast", exportOf(`tab_${i}`)));
    fake.faults.jobMs = 1000;
    for (const answer of queued) expect(answer.structured.outcome, answer.text).toBe("running");
    expect(fake.posts().length - posts).toBe(20);

    // The 21st (the first's tab, another quarter) on either replica: refused, nothing queued.
    for (const url of [a, b]) {
      const over = await call(url, "alice", "clari_export_forecast", exportOf("net_bookings", "2026_Q3"));
      expect(refused(over), over.text).toBe(true);
      expect(over.text).toContain("20 of 20/day used today (UTC)");
      expect(over.text).toContain(`it refills at ${new Date(midnight).toISOString()}`);
      expect(over.text).toContain("Nothing was queued");
      expect(over.text).toContain(`Already stored of the net_bookings tab, free to use now: ${first.structured.jobId}`);
    }
    expect(fake.posts().length - posts).toBe(20);

    // Reusing the stored one and joining a queued one are free, on the other replica.
    const reused = await call(b, "alice", "clari_export_forecast", exportOf("net_bookings", "2026_Q4"));
    expect(reused.structured, reused.text).toMatchObject({ outcome: "reused", jobId: first.structured.jobId });
    const joined = await call(a, "alice", "clari_export_forecast", exportOf("tab_2"));
    expect(joined.structured, joined.text).toMatchObject({ outcome: "running", jobId: queued[0]!.structured.jobId });
    // Another person has a budget of their own.
    const bob = await call(b, "bob", "clari_export_forecast", exportOf("net_bookings", "2026_Q3"));
    expect(bob.isError, bob.text).toBe(false);
    expect(fake.posts().length - posts).toBe(21);
    expect(await rows(db, "SELECT holder, spent FROM clari_mcp_budgets ORDER BY holder")).toEqual([
      { holder: "alice", spent: 20 },
      { holder: "bob", spent: 1 },
    ]);

    // The audit trail holds every call, by whom, with the quota each spent.
    const audit = await rows(db, "SELECT caller, body FROM clari_mcp_audit ORDER BY id");
    const calls = audit.map((r) => JSON.parse(String(r.body)) as { caller: string; tool: string; outcome: string; error?: string; quotaSpent: number });
    expect(calls).toHaveLength(25);
    expect(calls.every((c) => c.tool === "clari_export_forecast")).toBe(true);
    expect(calls.filter((c) => c.caller === "alice").map((c) => c.quotaSpent)).toEqual([...Array(20).fill(1), 0, 0, 0, 0]);
    expect(calls.filter((c) => c.outcome === "error").map((c) => c.error)).toEqual([expect.stringMatching(/^Your export budget \(alice\) is spent/), expect.stringMatching(/^Your export budget \(alice\) is spent/)]);
    expect(calls.filter((c) => c.caller === "bob").map((c) => c.quotaSpent)).toEqual([1]);
  });

  it("gives the last unit to exactly one of two replicas asked at the same moment", async () => {
    await nextUtcMidnight();
    const { db, a, b } = await replicas("3/day");
    for (const who of ["alice", "bob", "carol"] as const) {
      await call(a, who, "clari_export_forecast", exportOf(`${who}_1`));
      await call(b, who, "clari_export_forecast", exportOf(`${who}_2`));
      const posts = fake.posts().length;
      const both = await Promise.all([call(a, who, "clari_export_forecast", exportOf(`${who}_3a`)), call(b, who, "clari_export_forecast", exportOf(`${who}_3b`))]);
      expect(both.filter((r) => !r.isError), both.map((r) => r.text).join("\n")).toHaveLength(1);
      expect(both.filter(refused)).toHaveLength(1);
      expect(fake.posts().length - posts).toBe(1);
    }
    expect(await rows(db, "SELECT holder, spent FROM clari_mcp_budgets ORDER BY holder")).toEqual([
      { holder: "alice", spent: 3 },
      { holder: "bob", spent: 3 },
      { holder: "carol", spent: 3 },
    ]);
  });

  it("gives a unit back when Clari refused the POST, and keeps it when the POST got no answer", async () => {
    await nextUtcMidnight();
    const { db, a, b } = await replicas("1/day");
        // Refused (400): no job can exist, so the unit comes back and the next export is queued.
    refuseNextPost(400);
    const no = await call(a, "alice", "clari_export_forecast", exportOf("net_bookings"));
    expect(no.isError, no.text).toBe(true);
    expect(no.text).toMatch(/refused with 400/);
    expect(await rows(db, "SELECT spent FROM clari_mcp_budgets WHERE holder = 'alice'")).toEqual([{ spent: 0 }]);
    const jobs = fake.jobs().length;
    const yes = await call(b, "alice", "clari_export_forecast", exportOf("net_bookings"));
    expect(yes.isError, yes.text).toBe(false);
    expect(fake.jobs().length - jobs).toBe(1);
    expect(await rows(db, "SELECT spent FROM clari_mcp_budgets WHERE holder = 'alice'")).toEqual([{ spent: 1 }]);

    // A 503 may have queued a job: nothing is confirmed, so bob's unit stays spent.
    refuseNextPost(503);
    const unknown = await call(a, "bob", "clari_export_forecast", exportOf("net_bookings", "2026_Q3"));
    expect(unknown.isError, unknown.text).toBe(true);
    expect(await rows(db, "SELECT spent FROM clari_mcp_budgets WHERE holder = 'bob'")).toEqual([{ spent: 1 }]);
    const audit = (await rows(db, "SELECT body FROM clari_mcp_audit ORDER BY id")).map((r) => JSON.parse(String(r.body)) as { caller: string; quotaSpent: number; outcome: string });
    expect(audit.map((r) => [r.caller, r.outcome, r.quotaSpent])).toEqual([
      ["alice", "error", 0],
      ["alice", "ok", 1],
      ["bob", "error", 1],
    ]);
  });

  it("gives the unit of an unanswered POST back once its job has not shown up in the grace time, and the retry spends one", async () => {
    await nextUtcMidnight();
    const { db, a, b } = await replicas("1/day", ["--intent-grace-seconds", "1"]);
    refuseNextPost(503);
    const unknown = await call(a, "alice", "clari_export_forecast", exportOf("net_bookings"));
    expect(unknown.isError, unknown.text).toBe(true);
    expect(unknown.text).toMatch(/may or may not have queued it/);
    expect(await rows(db, "SELECT spent FROM clari_mcp_budgets WHERE holder = 'alice'")).toEqual([{ spent: 1 }]);
    await sleep(1500);
    // Asked again on the other replica: Clari's list shows no job, so the request is taken over,
    // its unit given back, and the new POST spends one: with 1/day, it is not refused.
    const jobs = fake.jobs().length;
    const again = await call(b, "alice", "clari_export_forecast", exportOf("net_bookings"));
    expect(again.isError, again.text).toBe(false);
    expect(again.text).toMatch(/never reached Clari, so the export is queued now/);
    expect(fake.jobs().length - jobs).toBe(1);
    expect(await rows(db, "SELECT spent FROM clari_mcp_budgets WHERE holder = 'alice'")).toEqual([{ spent: 1 }]);
  });

  it("keeps no key, token or password in any table, in any encoding, even when a call's arguments carried them", async () => {
    const { db, a } = await replicas("5/day");
    const secrets = [fake.apiKey, ...Object.values(TOKENS), cluster.password];
    // Each secret, in each encoding, as a call's argument (the query itself runs: they are string literals).
    for (const secret of secrets) {
      const literals = Object.values(encodingsOf(secret)).map((form) => `'${form.replace(/'/g, "''")}'`);
      const asked = await call(a, "carol", "clari_query", { sql: `SELECT ${literals.join(", ")}` });
      expect(asked.isError, asked.text).toBe(false);
    }
    const exported = await call(a, "carol", "clari_export_forecast", exportOf("net_bookings", "2026_Q4", 20));
    expect(exported.structured.outcome, exported.text).toBe("done");
    const audit = await rows(db, "SELECT body FROM clari_mcp_audit");
    expect(audit.length).toBe(secrets.length + 1);
    const tables = (await rows(db, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'clari_mcp_%'")).map((r) => String(r.tablename));
    expect(tables).toEqual(expect.arrayContaining(["clari_mcp_audit", "clari_mcp_budgets", "clari_mcp_journal"]));
    for (const table of tables) {
      const dump = (await rows(db, `SELECT string_agg(t::text, E'\\n') AS text FROM ${table} t`))[0]?.text ?? "";
      for (const secret of secrets) expect(findLeaks(String(dump), secret), `${table}`).toEqual([]);
    }
  });
});
