/**
 * The built binary in Streamable HTTP mode: the SDK client over HTTP, forged Host and Origin
 * refused, bearer token enforced, oversized and malformed bodies refused, stateless mode.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLI, cleanEnv } from "./binary.js";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

/** Start the binary on an ephemeral port and read the URL it announces on stderr. */
async function startServer(args: string[], env: Record<string, string> = {}): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--transport", "http", "--port", "0", ...args], { env: cleanEnv(env) });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!/at (http:\/\/\S+\/mcp)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: stderr.match(/at (http:\/\/\S+\/mcp)/)![1]!, stderr: () => stderr };
}

const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body });

describe("HTTP transport", () => {
  it("serves the SDK client: list tools and call one", async () => {
    const { url } = await startServer([]);
    const client = new Client({ name: "e2e-http", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools.length).toBe(18);
    const limits = await client.callTool({ name: "clari_get_limits", arguments: {} });
    expect((limits.structuredContent as { monthlyQuota: number }).monthlyQuota).toBe(1000);
    await client.close();
    const health = await fetch(url.replace(/\/mcp$/, "/healthz"));
    expect(health.status).toBe(200);
  });

  it("keeps an idle keep-alive connection open longer than a load balancer keeps its own", async () => {
    // A balancer (nginx, AWS ALB: 60 s idle) reuses its pooled connection after a pause; a server
    // that closed it first (Node's default: 5 s) resets the request sent on it, a 502 to the client.
    const { url } = await startServer([]);
    const { Agent, get } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const health = () =>
      new Promise<{ status: number; keepAlive: string; reused: boolean }>((resolve, reject) => {
        const req = get(url.replace(/\/mcp$/, "/healthz"), { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, keepAlive: String(res.headers["keep-alive"] ?? ""), reused: req.reusedSocket }));
        });
        req.on("error", reject);
      });
    try {
      // The server says how long it keeps the connection: more than a balancer's 60 s.
      const first = await health();
      expect(first.status).toBe(200);
      expect(Number(/timeout=(\d+)/.exec(first.keepAlive)?.[1])).toBeGreaterThan(60);
      // And keeps it: after a pause past Node's default 5 s, the same connection answers.
      await new Promise((r) => setTimeout(r, 5500));
      expect(await health()).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  }, 20_000);

  it("refuses a forged Host or a foreign Origin with 403", async () => {
    const { url } = await startServer([]);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      const req = request({ host: u.hostname, port: u.port, path: "/mcp", method: "POST", headers: { host: "evil.example:80", "content-type": "application/json", accept: "application/json, text/event-stream" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
    const origin = await post(url, JSON.stringify(initialize), { origin: "https://evil.example" });
    expect(origin.status).toBe(403);
  });

  it("requires the bearer token when one is set, and never prints it", async () => {
    const token = "tok-THIS-IS-SECRET-42";
    const { url, stderr } = await startServer(["--http-token", token, "--log-level", "debug"]);
    expect((await post(url, JSON.stringify(initialize))).status).toBe(401);
    expect((await post(url, JSON.stringify(initialize), { authorization: "Bearer wrong" })).status).toBe(401);
    const client = new Client({ name: "e2e-token", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    expect(stderr()).not.toContain(token);
  });

  it("refuses to bind a non-loopback address without a token", async () => {
    const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--transport", "http", "--host", "0.0.0.0", "--port", "0"], { env: cleanEnv() });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without a bearer token/);
  });

  it("answers malformed JSON with a parse error and oversized bodies with 413", async () => {
    const { url } = await startServer([]);
    const bad = await post(url, "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const big = await post(url, JSON.stringify({ ...initialize, padding: "x".repeat(13 * 1024 * 1024) }));
    expect(big.status).toBe(413);
  });

  it("keeps sessions apart and serves stateless mode", async () => {
    const { url } = await startServer([]);
    const unknownSession = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": "not-a-session" });
    expect(unknownSession.status).toBe(404);
    // Every error names the request it answers when its id is known.
    expect(await unknownSession.json()).toMatchObject({ id: 2, error: { code: -32001 } });
    const noSession = await post(url, JSON.stringify({ jsonrpc: "2.0", id: "q-3", method: "tools/list" }));
    expect(noSession.status).toBe(400);
    expect(await noSession.json()).toMatchObject({ id: "q-3" });

    const stateless = await startServer(["--stateless"]);
    const client = new Client({ name: "e2e-stateless", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(stateless.url)));
    expect((await client.listTools()).tools.length).toBe(18);
    await client.close();
  });
});
