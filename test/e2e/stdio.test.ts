/**
 * The built binary over stdio, driven by the SDK's Client: a forecast question end to end,
 * stdout carrying protocol only (also while a large forecast is parsed on its thread), a missing
 * key failing fast and clearly.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { CLI, cleanEnv } from "./binary.js";

describe("clari-mcp --sandbox over stdio", () => {
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = "";

  beforeAll(async () => {
    transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "--sandbox", "--no-cache", "--sandbox-job-ms", "500"], env: cleanEnv(), stderr: "pipe" });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  it("lists tools, exports a forecast and queries it", async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBe(18);
    const exported = await client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    const { jobId, outcome } = exported.structuredContent as { jobId: string; outcome: string };
    expect(outcome).toBe("done");
    const query = await client.callTool({
      name: "clari_query",
      arguments: { sql: `SELECT field, sum(value) FROM forecast WHERE export_id = '${jobId}' AND is_latest_week GROUP BY field` },
    });
    expect(query.isError).toBeFalsy();
    expect((query.structuredContent as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
    const resource = await client.readResource({ uri: `clari://exports/${jobId}` });
    expect(resource.contents[0]!.mimeType).toBe("application/json");
    expect(stderr).toMatch(/sandbox mode/);
  });
});

describe("stdout discipline and start-up errors", () => {
  it("exits non-zero with one clear line on stderr, and nothing on stdout, when no key is set", async () => {
    const child = spawn(process.execPath, [CLI], { env: cleanEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).not.toBe(0);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/CLARI_API_KEY is not set.*--sandbox/);
  });

  it("writes only JSON-RPC to stdout", async () => {
    const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--log-level", "debug"], { env: cleanEnv() });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "clari_get_limits", arguments: {} } });
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('"id":2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.end();
    await new Promise((resolve) => child.on("close", resolve));
    const lines = stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty("jsonrpc", "2.0");
  });

  it("writes only JSON-RPC to stdout while a large forecast is parsed on its thread and queried", async () => {
    // 1,500 users make a file of about 20 MB: past the size a download is parsed on the thread.
    const child = spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--sandbox-users", "1500", "--sandbox-job-ms", "200", "--log-level", "debug"], { env: cleanEnv() });
    let stdout = "";
    let log = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (log += c.toString()));
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 55 } } });
    const until = async (text: string): Promise<void> => {
      const deadline = Date.now() + 90_000;
      while (!stdout.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await until('"id":2');
    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "clari_query", arguments: { sql: "SELECT count(*) AS n FROM forecast" } } });
    await until('"id":3');
    child.stdin.end();
    await new Promise((resolve) => child.on("close", resolve));
    const messages = stdout.trim().split("\n").map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; result?: { structuredContent?: { rows?: unknown[][] } } });
    for (const message of messages) expect(message).toHaveProperty("jsonrpc", "2.0");
    const counted = messages.find((m) => m.id === 3)?.result?.structuredContent?.rows?.[0]?.[0];
    expect(Number(counted)).toBeGreaterThan(0);
    // Parsed on the thread: the download was large enough, and the thread was found.
    expect(log).toMatch(/export \w+: \d{8,} bytes downloaded/);
    expect(log).not.toMatch(/no built thread found/);
  }, 120_000);
});
