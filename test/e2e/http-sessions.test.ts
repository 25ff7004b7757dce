/**
 * The built binary's HTTP session table under clients that never DELETE: a flood of initializes
 * cannot lock a new client out, memory stays bounded, sessions with an open GET stream survive
 * eviction, and only a client whose every session is busy is told to retry (503, Retry-After).
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
async function serve(args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--transport", "http", "--port", "0", ...args], { env: cleanEnv() });
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
async function initialize(url: string, headers: Record<string, string> = {}): Promise<{ status: number; sessionId: string | null; retryAfter: string | null }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: ACCEPT, ...headers }, body: INIT });
  await res.text();
  return { status: res.status, sessionId: res.headers.get("mcp-session-id"), retryAfter: res.headers.get("retry-after") };
}

async function listStatus(url: string, sessionId: string): Promise<number> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: ACCEPT, "mcp-session-id": sessionId }, body: LIST });
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

/** `count` initializes, `parallel` at a time; `userAgent(i)` spreads them over clients. */
async function flood(url: string, count: number, parallel: number, userAgent: (i: number) => string): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const { status } = await initialize(url, { "user-agent": userAgent(next++) });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

const rssMb = (pid: number): number => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;
const sessionCount = async (url: string): Promise<number> => ((await (await fetch(url.replace(/\/mcp$/, "/healthz"))).json()) as { sessions: number }).sessions;

describe("HTTP session table", () => {
  it("5,000 initializes without DELETE do not lock out a new client, and memory stays bounded", async () => {
    const { url, pid } = await serve();
    const listening = await initialize(url, { "user-agent": "listener" });
    const stream = await openStream(url, listening.sessionId!);
    const bystander = await initialize(url, { "user-agent": "bystander" });
    const flooder = await initialize(url, { "user-agent": "flood-0" });
    // 100 clients, 50 sessions each: the table (1,000) fills; then each takes its own oldest slot.
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    const statuses = await flood(url, 5000, 6, (i) => `flood-${i % 100}`).finally(() => clearInterval(sampler));
    expect(Object.fromEntries(statuses)).toEqual({ 200: 5000 });
    expect(await sessionCount(url)).toBe(1000);
    // The flooder's first session went (its id gets the answer that says to initialize again);
    // the other client's older session did not.
    expect(await listStatus(url, flooder.sessionId!)).toBe(404);
    expect(await listStatus(url, bystander.sessionId!)).toBe(200);

    // A new client takes the least recently used idle slot: not the older, listening session.
    const client = new Client({ name: "after-flood", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await client.listTools()).tools.length).toBe(18);
    await client.close();
    expect(await listStatus(url, listening.sessionId!)).toBe(200);
    stream.close();

    // A full table holds about 40 MB of heap (1,000 McpServers sharing their schemas and
    // validator); the rest is what the 4,000 evicted ones left for the collector (250 MB seen).
    const rss = rssMb(pid);
    console.log(`server RSS after 5,000 initializes without DELETE: ${rss.toFixed(0)} MB (peak during them ${peak.toFixed(0)} MB)`);
    expect(rss).toBeLessThan(400);
  }, 120_000);

  it("keeps a session with an open GET stream while idle ones can go", async () => {
    const { url } = await serve();
    const listening = await initialize(url, { "user-agent": "listener" });
    const stream = await openStream(url, listening.sessionId!);
    expect(stream.status).toBe(200);
    const idle = await initialize(url, { "user-agent": "listener" });
    // The client passes its cap (100): the listening session is its least recently used, the
    // idle one next. (The full-table case is in the test above.)
    const statuses = await flood(url, 100, 4, () => "listener");
    expect(Object.fromEntries(statuses)).toEqual({ 200: 100 });
    expect(await listStatus(url, idle.sessionId!)).toBe(404);
    expect(await listStatus(url, listening.sessionId!)).toBe(200);
    stream.close();
  }, 30_000);

  it("answers 503 with Retry-After only when every session a new one could replace is busy", async () => {
    const { url } = await serve();
    const streams: Array<{ close(): void }> = [];
    for (let i = 0; i < 100; i++) {
      const { sessionId } = await initialize(url, { "user-agent": "busy" });
      const stream = await openStream(url, sessionId!);
      expect(stream.status).toBe(200);
      streams.push(stream);
    }
    const refused = await initialize(url, { "user-agent": "busy" });
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Another client still gets in; once a stream closes, the busy client does too.
    expect((await initialize(url, { "user-agent": "someone-else" })).status).toBe(200);
    streams.pop()!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await initialize(url, { "user-agent": "busy" })).status).toBe(200);
    for (const stream of streams) stream.close();
  }, 30_000);
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
