/**
 * Named bearer tokens on the built binary: each token opens the door, each log line of a request
 * names its token (on both protocol eras), no token is ever printed, a session belongs to the
 * token that opened it, /healthz answers without one (saying only that the server is up), and a
 * token whose entry names permissions (name[read]:token) gets those and no more.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { rpc } from "../tasks/task-client.js";
import { startHttpServer } from "./http-server.js";

const DESKTOP = "tok-desktop-SECRET-0123456789";
const CI = "tok-ci-SECRET-9876543210abcd";

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function connect(url: string, token: string, modern: boolean): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: "e2e-tokens", version: "1.0.0" }, modern ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, transport };
}

describe("named bearer tokens over HTTP", () => {
  it("labels each request's log lines with its token's name, on both eras, and never prints a token", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clari-tokens-"));
    const tokensFile = path.join(dir, "tokens");
    writeFileSync(tokensFile, `# clients\ndesktop:${DESKTOP}\n`, { mode: 0o600 });
    const server = await startHttpServer(["--sandbox", "--no-cache", "--log-level", "debug", "--http-tokens-file", tokensFile], { CLARI_MCP_HTTP_TOKENS: `ci:${CI}` });
    closers.push(server.close);

    const legacy = await connect(server.url, DESKTOP, false);
    await legacy.client.callTool({ name: "clari_get_limits", arguments: {} });
    const modern = await connect(server.url, CI, true);
    await modern.client.callTool({ name: "clari_get_limits", arguments: {} });

    const lines = server.stderr().split("\n");
    expect(lines.some((l) => /^clari-mcp debug: \[token desktop\] clari_get_limits answered/.test(l))).toBe(true);
    expect(lines.some((l) => /^clari-mcp debug: \[token ci\] clari_get_limits answered/.test(l))).toBe(true);
    expect(lines.find((l) => l.includes("serving MCP"))).toMatch(/bearer token required: desktop, ci/);
    expect(server.stderr()).not.toContain(DESKTOP);
    expect(server.stderr()).not.toContain(CI);

    // The desktop token's session is no session for the ci token, and no token is no entry.
    const sessionId = legacy.transport.sessionId!;
    const asCi = await fetch(server.url, {
      method: "POST",
      headers: { authorization: `Bearer ${CI}`, "mcp-session-id": sessionId, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
    });
    expect(asCi.status).toBe(404);
    expect(await asCi.json()).toMatchObject({ id: 7, error: { code: -32001 } });
    const none = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(none.status).toBe(401);
    expect(await none.text()).not.toMatch(/tok-/);
    const health = await fetch(server.url.replace(/\/mcp$/, "/healthz"));
    expect(await health.json()).toEqual({ status: "ok", version: expect.any(String) });
  }, 60_000);

  it("/healthz answers 200 without a token (status and version only), the session count only to a valid token, 403 to a forged Host", async () => {
    const server = await startHttpServer(["--sandbox", "--no-cache", "--http-token", DESKTOP]);
    closers.push(() => server.close());
    const health = server.url.replace(/\/mcp$/, "/healthz");
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${DESKTOP}x` }] as Array<Record<string, string>>) {
      const res = await fetch(health, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(await res.json()).toEqual({ status: "ok", version: expect.any(String) });
    }
    const withToken = await fetch(health, { headers: { authorization: `Bearer ${DESKTOP}` } });
    expect(await withToken.json()).toEqual({ status: "ok", version: expect.any(String), sessions: 0 });
    // The MCP endpoint itself still needs the token.
    expect((await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    const { port } = new URL(health);
    const forged = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: Number(port), path: "/healthz", headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(forged).toBe(403);
  });
  it("gives a token whose entry names permissions only those: no export, no audit trail, only its own calls", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clari-tokens-"));
    const tokensFile = path.join(dir, "tokens");
    writeFileSync(tokensFile, `analyst[read]:${DESKTOP}\nops:${CI}\n`, { mode: 0o600 });
    const server = await startHttpServer(["--sandbox", "--no-cache", "--http-tokens-file", tokensFile]);
    closers.push(server.close);
    const names = async (token: string) => ((await rpc(server.url, "tools/list", {}, { token, tasks: false })).result!.tools as Array<{ name: string }>).map((t) => t.name);
    const analystTools = await names(DESKTOP);
    const opsTools = await names(CI);
    expect(opsTools).toContain("clari_export_forecast");
    expect(analystTools).toContain("clari_query");
    expect(analystTools).not.toContain("clari_export_forecast");
    expect(analystTools).not.toContain("clari_cancel_export_job");

    // A call to a tool it may not use is refused before it runs, naming the permission; nothing is queued.
    const refused = await rpc(server.url, "tools/call", { name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } }, { token: DESKTOP, name: "clari_export_forecast", tasks: false });
    expect(refused.status).toBe(403);
    // ops exports; the analyst reads it, and the audit trail stays ops' (admin) alone.
    const exported = await rpc(server.url, "tools/call", { name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 30 } }, { token: CI, name: "clari_export_forecast", tasks: false });
    expect(exported.result?.isError, JSON.stringify(exported.result)).toBeFalsy();
    // (A call is recorded once answered: the first query is the analyst's first row.)
    await rpc(server.url, "tools/call", { name: "clari_query", arguments: { sql: "SELECT 1" } }, { token: DESKTOP, name: "clari_query", tasks: false });
    const asked = await rpc(server.url, "tools/call", { name: "clari_query", arguments: { sql: "SELECT DISTINCT caller FROM mcp_calls ORDER BY 1" } }, { token: DESKTOP, name: "clari_query", tasks: false });
    expect((asked.result!.structuredContent as { rows: unknown[][] }).rows).toEqual([["analyst"]]);
    const everyone = await rpc(server.url, "tools/call", { name: "clari_query", arguments: { sql: "SELECT DISTINCT caller FROM mcp_calls ORDER BY 1" } }, { token: CI, name: "clari_query", tasks: false });
    expect((everyone.result!.structuredContent as { rows: unknown[][] }).rows).toEqual([["analyst"], ["ops"]]);
    const trail = await rpc(server.url, "resources/read", { uri: "clari://audit-trail" }, { token: DESKTOP, name: "clari://audit-trail", tasks: false });
    expect(trail.status).toBe(403);
    const opsTrail = await rpc(server.url, "resources/read", { uri: "clari://audit-trail" }, { token: CI, name: "clari://audit-trail", tasks: false });
    expect(opsTrail.status).toBe(200);
  }, 60_000);
});
