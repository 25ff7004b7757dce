/**
 * The built binary's HTTP session table under clients that never DELETE. Limits are per caller (a
 * token's name), never per User-Agent: one token flooding initializes with varied User-Agents is
 * refused at its own cap (429) and evicts no other token's session; without tokens every client
 * is the one local user, whose flood fills the table and then gives up its own least recently
 * used idle sessions; memory stays bounded, sessions with an open GET stream survive eviction, and
 * only when every session that could go is busy is the answer 503 with Retry-After.
 * Also: the Bearer scheme is accepted in any case and with extra spaces, a wrong token still is not.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLI, cleanEnv } from "./binary.js";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

interface Served {
  url: string;
  pid: number;
}

/** The binary on an ephemeral loopback port; the URL is the one it announces on stderr. */
async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--transport", "http", "--port", "0", ...args], { env: cleanEnv(env) });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  for (const deadline = Date.now() + 10_000; !/at (http:\/\/\S+\/mcp)/.test(stderr); await new Promise((r) => setTimeout(r, 25))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
  }
  return { url: stderr.match(/at (http:\/\/\S+\/mcp)/)![1]!, pid: child.pid! };
}

const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "flood", version: "1" } } });
const LIST = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
const ACCEPT = "application/json, text/event-stream";

/** One initialize without DELETE; the answer is read to the end. */
async function initialize(url: string, headers: Record<string, string> = {}): Promise<{ status: number; sessionId: string | null; retryAfter: string | null; body: string }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: ACCEPT, ...headers }, body: INIT });
  const body = await res.text();
  return { status: res.status, sessionId: res.headers.get("mcp-session-id"), retryAfter: res.headers.get("retry-after"), body };
}

async function listStatus(url: string, sessionId: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: ACCEPT, "mcp-session-id": sessionId, ...headers }, body: LIST });
  await res.text();
  return res.status;
}

/**
 * A session's GET stream, held open until `close`. The caller keeps the reader: fetch cancels
 * the body of a response that is garbage-collected, which would end the stream early.
 */
async function openStream(url: string, sessionId: string): Promise<{ status: number; reader: ReadableStreamDefaultReader<Uint8Array>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(url, { method: "GET", headers: { accept: "text/event-stream", "mcp-session-id": sessionId }, signal: abort.signal });
  const reader = res.body!.getReader();
  void reader.read().catch(() => undefined);
  return { status: res.status, reader, close: () => abort.abort() };
}

/** `count` initializes, `parallel` at a time; `userAgent(i)` varies the User-Agent; the bodies of refusals are kept. */
async function flood(url: string, count: number, parallel: number, userAgent: (i: number) => string, headers: Record<string, string> = {}): Promise<Map<number, number> & { refusals: string[] }> {
  const statuses = Object.assign(new Map<number, number>(), { refusals: [] as string[] });
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const { status, body } = await initialize(url, { ...headers, "user-agent": userAgent(next++) });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 200) statuses.refusals.push(`${status} ${body}`);
      }
    }),
  );
  return statuses;
}

const rssMb = (pid: number): number => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;
const sessionCount = async (url: string, headers: Record<string, string> = {}): Promise<number> => ((await (await fetch(url.replace(/\/mcp$/, "/healthz"), { headers })).json()) as { sessions: number }).sessions;

describe("HTTP session table", () => {
  it("one token flooding 1,010 initializes with varied User-Agents is refused at its own cap and evicts no other token's session", async () => {
    const alice = "alice-token-0123456789";
    const mallory = "mallory-token-0123456789";
    const { url } = await serve([], { CLARI_MCP_HTTP_TOKENS: `alice:${alice},mallory:${mallory}` });
    const asAlice = { authorization: `Bearer ${alice}` };
    const asMallory = { authorization: `Bearer ${mallory}` };
    const idle = await initialize(url, { ...asAlice, "user-agent": "alice-desktop" });
    expect(idle.status).toBe(200);
    const first = await initialize(url, { ...asMallory, "user-agent": "mallory-0" });
    const statuses = await flood(url, 1009, 6, (i) => `mallory-${i + 1} (Windows NT ${i})`, asMallory);
    // 100 sessions are mallory's cap: the other 910 are refused with 429 and a message that says why.
    expect(Object.fromEntries(statuses)).toEqual({ 200: 99, 429: 910 });
    const refusal = JSON.parse(statuses.refusals[0]!.slice(4)) as { error: { code: number; message: string } };
    expect(refusal.error.code).toBe(-32000);
    expect(refusal.error.message).toMatch(/Caller "mallory" already holds 100 sessions, the most one caller may hold\. Close sessions it no longer uses \(DELETE/);
    expect(await sessionCount(url, asAlice)).toBe(101);
    // Alice's idle session was not touched: her next request is answered.
    expect(await listStatus(url, idle.sessionId!, asAlice)).toBe(200);
    // Nor were mallory's own: her oldest still works; once she closes one she may open one more.
    expect(await listStatus(url, first.sessionId!, asMallory)).toBe(200);
    const closed = await fetch(url, { method: "DELETE", headers: { ...asMallory, "mcp-session-id": first.sessionId! } });
    expect(closed.status).toBe(200);
    expect((await initialize(url, { ...asMallory, "user-agent": "mallory-again" })).status).toBe(200);
    expect((await initialize(url, { ...asMallory, "user-agent": "mallory-once-more" })).status).toBe(429);
    // Alice, under her own cap, still opens sessions.
    expect((await initialize(url, { ...asAlice, "user-agent": "alice-laptop" })).status).toBe(200);
  }, 120_000);

  it("5,000 initializes without DELETE do not lock out the local user, and memory stays bounded", async () => {
    // A 192 MB heap: a table that leaked evicted sessions (40 KB each) would run out of it and die;
    // with the heap capped, RSS measures what is kept, not how lazily the collector ran.
    const { url, pid } = await serve([], { NODE_OPTIONS: "--max-old-space-size=192" });
    const listening = await initialize(url, { "user-agent": "listener" });
    const stream = await openStream(url, listening.sessionId!);
    const older = await initialize(url, { "user-agent": "bystander" });
    // Without tokens every client is the one local user: the table (1,000) fills, then each new
    // session takes the least recently used idle slot, whatever User-Agent asked.
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    const statuses = await flood(url, 5000, 6, (i) => `flood-${i % 100}`).finally(() => clearInterval(sampler));
    expect(Object.fromEntries(statuses)).toEqual({ 200: 5000 });
    expect(await sessionCount(url)).toBe(1000);
    // The oldest idle session went (a User-Agent buys no place); the listening one did not.
    expect(await listStatus(url, older.sessionId!)).toBe(404);

    const client = new Client({ name: "after-flood", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await client.listTools()).tools.length).toBe(18);
    await client.close();
    expect(await listStatus(url, listening.sessionId!)).toBe(200);
    stream.close();

    // A full table holds about 40 MB of heap (1,000 McpServers sharing their schemas and
    // validator); the rest is what the 4,000 evicted ones left for the collector.
    const rss = rssMb(pid);
    console.log(`server RSS after 5,000 initializes without DELETE: ${rss.toFixed(0)} MB (peak during them ${peak.toFixed(0)} MB)`);
    expect(rss).toBeLessThan(400);
  }, 120_000);

  it("answers 503 with Retry-After only when every session a new one could replace is busy", async () => {
    const { url } = await serve();
    const streams: Array<{ close(): void }> = [];
    // A full table of sessions, each listening on a GET stream: none may go.
    for (let i = 0; i < 1000; i += 50) {
      const opened = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const { sessionId } = await initialize(url, { "user-agent": "busy" });
          const stream = await openStream(url, sessionId!);
          expect(stream.status).toBe(200);
          return stream;
        }),
      );
      streams.push(...opened);
    }
    const refused = await initialize(url, { "user-agent": "someone-else" });
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Once a stream closes its session is idle, and a new session takes its place.
    streams.pop()!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await initialize(url, { "user-agent": "someone-else" })).status).toBe(200);
    for (const stream of streams) stream.close();
  }, 60_000);
});

describe("bearer token scheme", () => {
  it("accepts bearer and BEARER with extra spaces; a wrong token still gets 401", async () => {
    const token = "tok-scheme-0123456789";
    const { url } = await serve(["--http-token", token]);
    expect((await initialize(url, { authorization: `bearer ${token}` })).status).toBe(200);
    expect((await initialize(url, { authorization: `BEARER  ${token}` })).status).toBe(200);
    expect((await initialize(url, { authorization: `Bearer \t ${token}` })).status).toBe(200);
    expect((await initialize(url, { authorization: `bearer ${token}x` })).status).toBe(401);
    expect((await initialize(url, { authorization: `BEARER  wrong` })).status).toBe(401);
    expect((await initialize(url, { authorization: token })).status).toBe(401);
    const client = new Client({ name: "lower-case-bearer", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `bearer ${token}` } } }));
    expect((await client.listTools()).tools.length).toBe(18);
    await client.close();
  });
});
