/**
 * The audit trail and export budgets on a team server with sign-in (the built binary, a real
 * authorization server on loopback): every tool call is recorded under the signed-in caller;
 * clari_query's mcp_calls shows a caller without the admin permission only their own calls and an
 * admin everyone's; clari://audit-trail answers 403 insufficient_scope (naming clari:admin) without
 * admin and everyone's calls, newest first and paged, with it; a signed-in person's export budget
 * is counted under their caller id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextUtcMidnight } from "../reliability/server-process.js";
import { rpc } from "../tasks/task-client.js";
import { startAuthorizationServer, type AuthorizationServer } from "./authorization-server.js";
import { startTeamServer, type TeamServer } from "./oauth-server.js";

let as: AuthorizationServer;
let server: TeamServer;
let admin: string;
let reader: string;
let adminId: string;
let readerId: string;

beforeAll(async () => {
  await nextUtcMidnight(); // the budget test below must not straddle two days
  as = await startAuthorizationServer();
  server = await startTeamServer(as.issuer, ["--export-budget", "1/day"]);
  admin = await as.clientToken({ resource: server.resource });
  reader = await as.clientToken({ resource: server.resource, scope: "clari:read", client: "reader" });
  const host = new URL(as.issuer).host;
  [adminId, readerId] = [`refusal-tests@${host}`, `audit-reader@${host}`];
}, 180_000);
afterAll(async () => {
  await server?.close();
  await as?.close();
});

async function call(token: string, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: Record<string, unknown> }> {
  const answer = await rpc(server.url, "tools/call", { name, arguments: args }, { token, name, tasks: false });
  if (!answer.result) throw new Error(`tools/call ${name}: ${answer.status} ${JSON.stringify(answer.error)}`);
  const text = ((answer.result.content as Array<{ text?: string }> | undefined) ?? []).map((c) => c.text ?? "").join("\n");
  return { isError: answer.result.isError === true, text, structured: (answer.result.structuredContent ?? {}) as Record<string, unknown> };
}

const query = async (token: string, sql: string) => {
  const answer = await call(token, "clari_query", { sql, limit: 500 });
  expect(answer.isError, answer.text).toBe(false);
  return answer.structured.rows as unknown[][];
};

/** resources/read on the 2026-07-28 path, status and all. */
async function read(token: string, uri: string): Promise<{ status: number; challenge: string; body: Record<string, unknown> | undefined }> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "resources/read", "mcp-name": uri },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "resources/read", params: { uri, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "audit", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} } } }),
  });
  const text = await response.text();
  const data = text.split("\n").find((l) => l.startsWith("data: "))?.slice(6) ?? (text.startsWith("{") ? text : undefined);
  const result = data ? ((JSON.parse(data) as { result?: { contents: Array<{ text: string }> } }).result) : undefined;
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "", body: result ? (JSON.parse(result.contents[0]!.text) as Record<string, unknown>) : undefined };
}

describe("the audit trail with sign-in", () => {
  it("records each call under its caller; mcp_calls shows a caller without admin only their own", async () => {
    await query(reader, "SELECT 1");
    await query(reader, "SELECT 2");
    const exported = await call(admin, "clari_export_forecast", { forecastId: "net_bookings", waitSeconds: 20 });
    expect(exported.structured.outcome, exported.text).toBe("done");
    // The admin's budget (1/day) is spent: the next export is refused, under the admin's caller id.
    const over = await call(admin, "clari_export_forecast", { forecastId: "net_bookings", timePeriod: "2026_Q3" });
    expect(over.isError).toBe(true);
    expect(over.text).toContain(`Your export budget (${adminId}) is spent: 1 of 1/day used today (UTC)`);

    const own = await query(reader, "SELECT caller, tool, outcome, quota_spent FROM mcp_calls ORDER BY call_id");
    expect(own).toEqual([
      [readerId, "clari_query", "ok", 0],
      [readerId, "clari_query", "ok", 0],
    ]);
    // Three tries at more (answered or refused, never with another caller's row).
    for (const sql of ["SELECT DISTINCT caller FROM temp.main.mcp_calls", "SELECT DISTINCT caller FROM query_table('mcp_calls')", "SELECT max(caller) FROM mcp_calls WHERE caller <> current_user"]) {
      expect(JSON.stringify(await call(reader, "clari_query", { sql })), sql).not.toContain("refusal-tests");
    }
    // Everyone's, up to the admin's own query (recorded once it has been answered).
    const everyone = await query(admin, "SELECT caller, tool, outcome, quota_spent FROM mcp_calls ORDER BY call_id");
    expect(everyone.slice(0, 4)).toEqual([
      [readerId, "clari_query", "ok", 0],
      [readerId, "clari_query", "ok", 0],
      [adminId, "clari_export_forecast", "ok", 1],
      [adminId, "clari_export_forecast", "error", 0],
    ]);
    // Then the reader's own look at mcp_calls, and the three tries.
    expect(everyone.slice(4).map((r) => [r[0], r[1], r[3]])).toEqual(Array(4).fill([readerId, "clari_query", 0]));
  });

  it("serves clari://audit-trail only with the admin permission, newest first", async () => {
    const refused = await read(reader, "clari://audit-trail");
    expect(refused.status).toBe(403);
    expect(refused.challenge).toMatch(/^Bearer error="insufficient_scope"/);
    expect(refused.challenge).toContain('scope="clari:admin"');
    const page = await read(admin, "clari://audit-trail");
    expect(page.status).toBe(200);
    const calls = page.body!.calls as Array<{ caller: string; tool: string; at: string; args: string; outcome: string; quotaSpent: number }>;
    expect(page.body!.keptDays).toBe(90);
    expect(calls.length).toBe(9);
    expect(calls.map((c) => c.at)).toEqual([...calls.map((c) => c.at)].sort().reverse());
    expect(new Set(calls.map((c) => c.caller))).toEqual(new Set([adminId, readerId]));
    // The arguments as the tool took them (defaults filled in).
    expect(JSON.parse(calls.find((c) => c.tool === "clari_export_forecast" && c.quotaSpent === 1)!.args)).toMatchObject({ forecastId: "net_bookings", waitSeconds: 20 });
    // A page link that is not ours is refused, not followed.
    expect((await rpc(server.url, "resources/read", { uri: "clari://audit-trail/page/bm90LW91cnM" }, { token: admin, name: "clari://audit-trail/page/bm90LW91cnM", tasks: false })).error?.message).toMatch(/not one this server issued/);
  });
});
