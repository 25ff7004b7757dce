/**
 * clari_query on the built binary, shared by two named tokens over HTTP, and a client leaving
 * mid-query over stdio: alice's writes never change bob's answers, bob is served while alice's
 * slow queries wait their turn, and a departed client's server exits within 2 s.
 */
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLI, cleanEnv } from "../e2e/binary.js";
import { startHttpServer } from "../e2e/http-server.js";
import { textOf } from "../helpers/harness.js";

const ALICE = "tok-alice-0123456789abcdef";
const BOB = "tok-bob-0123456789abcdefgh";
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "shared-query", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  closers.push(() => client.close());
  return client;
}

const COMMIT = "SELECT round(sum(value), 2) AS commit FROM forecast WHERE is_latest_week AND field = 'Commit'";

describe("clari_query shared over HTTP", () => {
  it("alice's EXPLAIN ANALYZE UPDATE changes nothing bob sees; bob is answered while alice's slow queries wait", async () => {
    const server = await startHttpServer(["--sandbox", "--no-cache", "--sandbox-job-ms", "300", "--query-timeout-seconds", "30"], { CLARI_MCP_HTTP_TOKENS: `alice:${ALICE},bob:${BOB}` });
    closers.push(server.close);
    const alice = await connect(server.url, ALICE);
    const bob = await connect(server.url, BOB);
    await alice.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    const before = textOf(await bob.callTool({ name: "clari_query", arguments: { sql: COMMIT } }));
    expect(before).toMatch(/\| commit \|/);
    for (const sql of ["EXPLAIN ANALYZE UPDATE raw.forecast_facts SET value = value * 2", "DELETE FROM people", "DROP VIEW forecast"]) {
      const attempt = await alice.callTool({ name: "clari_query", arguments: { sql } });
      expect(attempt.isError, sql).toBe(true);
      expect(textOf(await bob.callTool({ name: "clari_query", arguments: { sql: COMMIT } }))).toBe(before);
    }

    const order: string[] = [];
    const slow = "SELECT count(*) FROM range(600000000) WHERE range % 7 = 3";
    const alices = [1, 2, 3, 4].map((i) => alice.callTool({ name: "clari_query", arguments: { sql: slow } }, { timeout: 170_000 }).then(() => order.push(`alice${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    const answer = await bob.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
    order.push("bob");
    expect(textOf(answer)).toMatch(/\| 42 \|/);
    expect(order.indexOf("bob")).toBeLessThanOrEqual(1);
    await Promise.all(alices);
  }, 180_000);
});

/** A 2025-era stdio session by hand: initialize, then a slow clari_query left running. */
async function stdioMidQuery(): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<number> }> {
  const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--query-timeout-seconds", "60"], { env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number>((resolve) => child.once("exit", () => resolve(Date.now())));
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const send = (message: object): void => void child.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "leaver", version: "1" } } });
  for (let i = 0; i < 200 && !out.includes('"id":1'); i++) await new Promise((r) => setTimeout(r, 50));
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "clari_query", arguments: { sql: "SELECT count(*) FROM range(1000000000000)" } } });
  // Long enough for DuckDB to be loaded and the query to be running.
  await new Promise((r) => setTimeout(r, 4000));
  expect(out).not.toContain('"id":2');
  return { child, exited };
}

describe("a client leaving mid-query", () => {
  it("stdin closed: the server exits within 2 s", async () => {
    const { child, exited } = await stdioMidQuery();
    const left = Date.now();
    child.stdin?.end();
    expect((await exited) - left).toBeLessThan(2000);
  }, 60_000);

  it("SIGTERM: the server exits within 2 s", async () => {
    const { child, exited } = await stdioMidQuery();
    const left = Date.now();
    child.kill("SIGTERM");
    expect((await exited) - left).toBeLessThan(2000);
  }, 60_000);
});
