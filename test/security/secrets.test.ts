/**
 * Secrets never leave the process. The built binary runs with recognisable fake credentials
 * (CLARI_API_KEY, CLARI_PARTNER_KEY, an HTTP bearer token) at --log-level debug, against a sandbox
 * that accepts them, a sandbox that refuses them, and a tiny upstream whose error bodies ECHO the
 * credentials it received. Many tools, resources and error paths are exercised (401 from a wrong
 * key and partner key, quota refusals, unknown forecastId, 5xx, HTML gateway pages, truncated
 * bodies, connection resets). Every byte on stdout, stderr and the HTTP wire is searched for each
 * secret and its common encodings.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { connectRecordingClient, startHttpBinary, startStdioBinary, type RpcReply, type StdioBinary } from "./binary.js";

const API_KEY = "sk-live-FAKE-abcdef0123456789";
const PARTNER_KEY = "pk-live-FAKE-9876543210fedcba";
const WRONG_PARTNER_KEY = "pk-live-WRONG-5566778899aabbcc";
const HTTP_TOKEN = "tok-live-FAKE-00112233445566778899";
const SECRETS = [API_KEY, PARTNER_KEY, WRONG_PARTNER_KEY, HTTP_TOKEN];

/** The secret, its distinctive tail, and the encodings a leak could take. */
function forms(secret: string): string[] {
  const tail = secret.slice(-16);
  return [secret, tail, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("base64url"), Buffer.from(secret).toString("hex")];
}

function expectNoSecrets(where: string, text: string): void {
  for (const secret of SECRETS) {
    for (const form of forms(secret)) {
      const at = text.indexOf(form);
      expect(at, `${where} leaks ${secret} as ${form}: ...${text.slice(Math.max(0, at - 120), at + 60)}...`).toBe(-1);
    }
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

async function sandbox(options: Parameters<typeof startSandbox>[0]): Promise<Sandbox> {
  const sb = await startSandbox({ jobDurationMs: 200, ...options });
  cleanups.push(() => sb.close());
  return sb;
}

const env = (sb: { v4Url: string; v2Url: string }, partnerKey = PARTNER_KEY, extra: Record<string, string> = {}) => ({
  CLARI_API_KEY: API_KEY,
  CLARI_PARTNER_KEY: partnerKey,
  CLARI_BASE_URL: sb.v4Url,
  CLARI_INGEST_BASE_URL: sb.v2Url,
  ...extra,
});

const FLAGS = ["--log-level", "debug", "--no-cache", "--wait-seconds", "5"];

const textOfReply = (reply: RpcReply): string => JSON.stringify(reply);
const structured = <T>(reply: RpcReply): T => (reply.result?.structuredContent ?? {}) as T;

/** Run a list of tool calls and resource reads; every reply is returned for inspection. */
async function exercise(bin: StdioBinary, calls: Array<[string, Record<string, unknown>?]>): Promise<RpcReply[]> {
  const replies: RpcReply[] = [];
  for (const [name, args] of calls) replies.push(await bin.tool(name, args ?? {}));
  return replies;
}

describe("secrets over stdio", () => {
  it("never appear on stdout or stderr, in results, errors or resources: success paths, Clari errors and faults", async () => {
    const sb = await sandbox({ apiKey: API_KEY, partnerKey: PARTNER_KEY, monthlyQuota: 4 });
    const bin = await startStdioBinary(FLAGS, env(sb));
    cleanups.push(() => bin.close());

    const replies: RpcReply[] = [];
    replies.push(await bin.request("tools/list"), await bin.request("resources/list"), await bin.request("resources/templates/list"), await bin.request("prompts/list"));
    const exported = await bin.tool("clari_export_forecast", { forecastId: "net_bookings" });
    replies.push(exported);
    const { jobId, outcome } = structured<{ jobId: string; outcome: string }>(exported);
    expect(outcome, textOfReply(exported)).toBe("done");

    const page = await bin.tool("clari_list_audit_events", { limit: 5 });
    replies.push(page);
    const { nextCursor } = structured<{ nextCursor?: string }>(page);
    expect(nextCursor).toBeDefined();

    replies.push(
      ...(await exercise(bin, [
        ["clari_get_limits"],
        ["clari_query", { sql: `SELECT role, count(*) FROM people WHERE export_id = '${jobId}' GROUP BY role` }],
        ["clari_get_export_results", { jobId, pageSize: 5 }],
        ["clari_get_export_job", { jobId }],
        ["clari_list_export_jobs"],
        ["clari_get_forecast", { forecastId: "net_bookings", typesToExport: ["crm_total", "forecast"] }],
        ["clari_list_audit_events", { cursor: nextCursor! }],
        ["clari_get_opportunities", { oppIds: [sb.org.opportunities()[0]!.oppId, "006000000000000AAA"] }],
        ["clari_export_audit_events", { waitSeconds: 5 }],
        ["clari_export_activity", { startDate: "2026-01-01T00:00:00Z", endDate: "2026-01-08T00:00:00Z", waitSeconds: 5 }],
        ["clari_ingest_records", { entity: "account", datasets: [{ sourceEntity: "Account", records: [{ id: "001A", createdAt: 1, updatedAt: 2 }] }] }],
        ["clari_ingest_bulk", { entity: "opportunity", datasets: [{ sourceEntity: "Opportunity", records: [{ id: "006A", createdAt: 1, updatedAt: 2 }] }], waitSeconds: 5 }],
        ["clari_add_picklist_values", { entity: "account", fieldName: "Tier", fieldType: "picklist", values: ["Gold"] }],
        ["clari_get_picklist_values", { entity: "account" }],
        // Clari errors: unknown job, unknown forecast, cancel a finished job, no opt-in, bad ingest entity.
        ["clari_get_export_job", { jobId: "ffffffffffffffffffffffff" }],
        ["clari_get_ingest_job", { jobId: "ffffffffffffffffffffffff" }],
        ["clari_export_forecast", { forecastId: "deal_owner" }],
        ["clari_cancel_export_job", { jobId }],
        ["clari_export_forecast", { forecastId: "net_arr", scopeId: "1::MGR" }],
        ["clari_get_picklist_values", { entity: "nosuchentity" }],
        // Quota: the fourth and fifth exports this month.
        ["clari_export_forecast", { forecastId: "renewals", waitSeconds: 0 }],
        ["clari_export_forecast", { forecastId: "net_arr", waitSeconds: 0 }],
      ])),
    );
    const quota = replies[replies.length - 1]!;
    expect(textOfReply(quota)).toMatch(/quota/i);

    for (const uri of [`clari://exports/${jobId}`, "clari://exports", "clari://limits", "clari://audit/events", `clari://exports/${jobId}/rows/1`, "clari://exports/ffffffffffffffffffffffff"]) {
      replies.push(await bin.request("resources/read", { uri }));
    }
    replies.push(await bin.request("prompts/get", { name: "forecast_call_prep", arguments: { forecastId: "net_bookings" } }));

    // Faults: a 500 with a JSON body, an HTML 503 gateway page, truncated bodies, a reset connection.
    sb.setFaults({ errorRate: 1, errorStatus: 500 });
    replies.push(...(await exercise(bin, [["clari_get_limits"], ["clari_ingest_records", { entity: "account", datasets: [{ sourceEntity: "A", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }] }]])));
    sb.setFaults({ errorRate: 1, errorStatus: 503 });
    replies.push(...(await exercise(bin, [["clari_export_forecast", { forecastId: "net_bookings", fresh: true, waitSeconds: 0 }]])));
    sb.setFaults({ errorRate: 0, truncateRate: 1 });
    replies.push(...(await exercise(bin, [["clari_get_limits"], ["clari_list_export_jobs"], ["clari_get_opportunities", { oppIds: [sb.org.opportunities()[0]!.oppId] }]])));
    sb.setFaults({ truncateRate: 0, resetRate: 1 });
    replies.push(...(await exercise(bin, [["clari_export_activity", { startDate: "2026-01-01", endDate: "2026-01-02", fresh: true, waitSeconds: 0 }]])));
    sb.setFaults({ resetRate: 0 });

    expect(replies.filter((r) => r.result?.isError === true || r.error).length).toBeGreaterThanOrEqual(12);
    for (const reply of replies) expectNoSecrets("a reply", textOfReply(reply));
    await bin.close();
    expectNoSecrets("stdout", bin.stdout());
    expectNoSecrets("stderr", bin.stderr());
    expect(bin.stderr()).toMatch(/debug/);
  });

  it("never appear when Clari refuses the API key and the partner key (401s)", async () => {
    const refusing = await sandbox({ apiKey: "some-other-key", partnerKey: "some-other-partner" });
    const bin = await startStdioBinary(FLAGS, env(refusing, WRONG_PARTNER_KEY));
    cleanups.push(() => bin.close());
    const replies = await exercise(bin, [
      ["clari_get_limits"],
      ["clari_export_forecast", { forecastId: "net_bookings" }],
      ["clari_list_audit_events"],
      ["clari_get_opportunities", { oppIds: ["006000000000000AAA"] }],
      ["clari_export_activity", { startDate: "2026-01-01", endDate: "2026-01-02" }],
      ["clari_get_ingest_job", { jobId: "abc" }],
      ["clari_ingest_records", { entity: "account", datasets: [{ sourceEntity: "A", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }] }],
      ["clari_get_picklist_values", { entity: "account" }],
    ]);
    replies.push(await bin.request("resources/read", { uri: "clari://limits" }));
    for (const reply of replies.slice(0, -1)) {
      expect(reply.result?.isError, textOfReply(reply)).toBe(true);
      expect(textOfReply(reply)).toMatch(/401|unauthori[sz]ed|INVALID_PARTNER_KEY|API key|partner key/i);
    }
    for (const reply of replies) expectNoSecrets("a reply", textOfReply(reply));
    await bin.close();
    expectNoSecrets("stdout", bin.stdout());
    expectNoSecrets("stderr", bin.stderr());
  });
});

/** An upstream that answers every call with an error body quoting the credentials it was sent. */
async function startEchoingUpstream(): Promise<{ server: Server; v4Url: string; v2Url: string }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const key = String(req.headers.apikey ?? "");
      const partner = String(req.headers.partnerkey ?? "");
      const path = req.url ?? "/";
      const send = (status: number, body: unknown, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      if (path.startsWith("/v2/")) return send(400, [{ errorCode: "INVALID_INPUT_FORMAT", errorSummary: `partnerkey ${partner} with apikey ${key} is invalid` }]);
      if (path.startsWith("/v4/audit")) return send(400, { errors: [{ code: "bad_request", message: `token ${key} rejected`, details: `apikey=${key}` }] });
      if (path.startsWith("/v4/opportunity")) return send(400, [{ statusCode: 400, reaspnPhrase: "Bad Request", description: `key ${key}`, details: key }]);
      if (path.startsWith("/v4/admin")) return send(401, { error: `Invalid authentication credentials: ${key}` });
      if (path.startsWith("/v4/export/activity")) return send(401, { message: `${key} is not a valid token` });
      if (path.startsWith("/v4/forecast")) return send(500, `<html><body>upstream saw apikey ${key}</body></html>`, "text/html");
      return send(400, { code: "bad_request", message: `apikey ${key} is invalid`, errorId: key });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { server, v4Url: `http://127.0.0.1:${port}/v4`, v2Url: `http://127.0.0.1:${port}/v2` };
}

describe("an upstream that echoes the key in its error bodies", () => {
  it("the echoed key never reaches a tool result, a resource error, stdout or stderr", async () => {
    const upstream = await startEchoingUpstream();
    const bin = await startStdioBinary(FLAGS, env(upstream));
    cleanups.push(() => bin.close());
    const replies = await exercise(bin, [
      ["clari_get_export_job", { jobId: "abc" }],
      ["clari_export_forecast", { forecastId: "net_bookings" }],
      ["clari_get_forecast", { forecastId: "net_bookings" }],
      ["clari_get_limits"],
      ["clari_list_audit_events"],
      ["clari_get_opportunities", { oppIds: ["006000000000000AAA"] }],
      ["clari_export_activity", { startDate: "2026-01-01", endDate: "2026-01-02" }],
      ["clari_ingest_records", { entity: "account", datasets: [{ sourceEntity: "A", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }] }],
      ["clari_get_ingest_job", { jobId: "abc" }],
      ["clari_wait_for_job", { jobId: "abc", waitSeconds: 1 }],
    ]);
    for (const uri of ["clari://exports/abc", "clari://limits", "clari://audit/events", "clari://exports"]) replies.push(await bin.request("resources/read", { uri }));
    for (const reply of replies.slice(0, 10)) expect(reply.result?.isError, textOfReply(reply)).toBe(true);
    // The upstream really did echo it: the redaction marker shows where.
    expect(replies.map(textOfReply).join("\n")).toMatch(/\[redacted\]/);
    for (const reply of replies) expectNoSecrets("a reply", textOfReply(reply));
    await bin.close();
    expectNoSecrets("stdout", bin.stdout());
    expectNoSecrets("stderr", bin.stderr());
  });
});

describe("secrets over HTTP", () => {
  it("never appear in any HTTP response or on stderr, with a bearer token, Clari errors and faults", async () => {
    const sb = await sandbox({ apiKey: API_KEY, partnerKey: PARTNER_KEY });
    const server = await startHttpBinary(FLAGS, env(sb, PARTNER_KEY, { CLARI_MCP_HTTP_TOKEN: HTTP_TOKEN }));
    cleanups.push(() => server.close());

    // Refusals of a missing or wrong token must not quote the expected one (or the one given).
    const refusals: string[] = [];
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${HTTP_TOKEN.slice(0, -1)}`, `bearer ${HTTP_TOKEN}x`, `Basic ${Buffer.from(`x:${HTTP_TOKEN}`).toString("base64")}`]) {
      const res = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
      });
      expect(res.status, String(authorization)).toBe(401);
      refusals.push(`${JSON.stringify([...res.headers.entries()])} ${await res.text()}`);
    }
    for (const r of refusals) expectNoSecrets("a 401 response", r);

    const { client, wire } = await connectRecordingClient(server.url, { authorization: `Bearer ${HTTP_TOKEN}` });
    const calls: Array<[string, Record<string, unknown>]> = [
      ["clari_get_limits", {}],
      ["clari_export_forecast", { forecastId: "net_bookings" }],
      ["clari_get_export_job", { jobId: "ffffffffffffffffffffffff" }],
      ["clari_export_forecast", { forecastId: "deal_owner" }],
      ["clari_list_audit_events", { limit: 3 }],
      ["clari_ingest_records", { entity: "account", datasets: [{ sourceEntity: "A", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }] }],
      ["clari_get_picklist_values", { entity: "nosuchentity" }],
    ];
    const results: unknown[] = [];
    for (const [name, args] of calls) results.push(await client.callTool({ name, arguments: args }));
    results.push(await client.readResource({ uri: "clari://limits" }));
    sb.setFaults({ errorRate: 1, errorStatus: 500 });
    results.push(await client.callTool({ name: "clari_get_limits", arguments: {} }));
    results.push(await client.readResource({ uri: "clari://limits" }).catch((e: Error) => e.message));
    sb.setFaults({ errorRate: 0, truncateRate: 1 });
    results.push(await client.callTool({ name: "clari_list_export_jobs", arguments: {} }));
    sb.setFaults({ truncateRate: 0 });
    await client.close();

    expect(results.filter((r) => (r as { isError?: boolean }).isError).length).toBeGreaterThanOrEqual(4);
    expectNoSecrets("a result", JSON.stringify(results));
    expect(wire.join("").length).toBeGreaterThan(1000);
    expectNoSecrets("the HTTP wire", wire.join("\n"));
    await server.close();
    expectNoSecrets("stderr", server.stderr());
    expect(server.stderr()).toMatch(/bearer token required/);
  });

  it("never appear in HTTP responses when the partner key is refused", async () => {
    const sb = await sandbox({ apiKey: API_KEY, partnerKey: PARTNER_KEY });
    const server = await startHttpBinary([...FLAGS, "--stateless"], env(sb, WRONG_PARTNER_KEY, { CLARI_MCP_HTTP_TOKEN: HTTP_TOKEN }));
    cleanups.push(() => server.close());
    const { client, wire } = await connectRecordingClient(server.url, { authorization: `Bearer ${HTTP_TOKEN}` });
    const results: unknown[] = [];
    for (const [name, args] of [
      ["clari_get_ingest_job", { jobId: "abc" }],
      ["clari_ingest_bulk", { entity: "account", datasets: [{ sourceEntity: "A", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }] }],
      ["clari_add_picklist_values", { entity: "account", fieldName: "Tier", fieldType: "picklist", values: ["Gold"] }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).toMatch(/INVALID_PARTNER_KEY|partner key/i);
      results.push(result);
    }
    await client.close();
    expectNoSecrets("a result", JSON.stringify(results));
    expectNoSecrets("the HTTP wire", wire.join("\n"));
    await server.close();
    expectNoSecrets("stderr", server.stderr());
  });
});
