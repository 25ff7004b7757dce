/**
 * The Streamable HTTP transport under hostile or confused clients (in-process server on loopback,
 * real sandbox). Extends test/e2e/http.test.ts, which covers the basic cases:
 * - sessions are isolated: ids are random, DELETE ends a session for good, an id from another
 *   server is refused, concurrent answers and progress reach only their own session, and one
 *   session cannot cancel another's request;
 * - valid JSON that is not JSON-RPC, and batches of garbage, get a JSON-RPC error (4xx), never a
 *   500 or a dead server, with or without a session, stateful or stateless;
 * - bodies over the limit get 413 whether or not they declare a length;
 * - forged Host and Origin get 403 on every method and path, and a missing or wrong bearer token 401 on
 *   every MCP method (/healthz answers without a token, saying only that the server is up).
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import type { Deps } from "../../src/deps.js";
import { startHttp, type HttpHandle } from "../../src/transports/http.js";
import { startRuntime, textOf } from "../helpers/harness.js";

interface Served {
  url: string;
  port: number;
  http: HttpHandle;
  deps: Deps;
  sandbox: Sandbox;
}

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function serve(flags: string[] = [], sandboxOptions: SandboxOptions = {}): Promise<Served> {
  const sandbox = await startSandbox({ jobDurationMs: 200, ...sandboxOptions });
  const { runtime, config } = await startRuntime(sandbox, ["--transport", "http", "--port", "0", "--no-cache", ...flags]);
  const { deps } = runtime;
  const http = await startHttp(deps, config);
  closers.push(async () => {
    await http.close();
    await runtime.close();
    await sandbox.close();
  });
  return { url: http.url, port: http.port, http, deps, sandbox };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (node:http) so Host and any header can be forged or left out. */
function raw(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer | Buffer[]; host?: string | null },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "application/json, text/event-stream", "content-type": "application/json", ...options.headers };
    if (options.host !== null) headers.host = options.host ?? `127.0.0.1:${port}`;
    let settled = false;
    const req = httpRequest({ host: "127.0.0.1", port, path: options.path ?? "/mcp", method: options.method ?? "POST", headers, setHost: false, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on("error", (e) => (settled ? undefined : reject(e)));
    });
    req.on("error", (e) => (settled ? undefined : reject(e)));
    req.setTimeout(10_000, () => req.destroy(new Error("request timed out")));
    const { body } = options;
    if (Array.isArray(body)) {
      // Chunked upload, no Content-Length: the server must count, and may answer before the end.
      let i = 0;
      const pump = (): void => {
        while (i < body.length) {
          if (req.destroyed) return;
          if (!req.write(body[i++]!)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else req.end(body);
  });
}

/** The status of the first response to bytes written on a bare socket (no client-side HTTP logic). */
function statusOfRawBytes(port: number, bytes: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let head = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("no response")));
    socket.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on("error", reject);
  });
}

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const sessionHeaders = (id: string) => ({ "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" });

async function openSession(s: Served, headers: Record<string, string> = {}): Promise<string> {
  const res = await raw(s.port, { body: JSON.stringify(INIT), headers });
  expect(res.status, res.body).toBe(200);
  const id = res.headers["mcp-session-id"];
  expect(typeof id).toBe("string");
  await raw(s.port, { body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), headers: { ...headers, ...sessionHeaders(id as string) } });
  return id as string;
}

const listTools = (s: Served, id: string, headers: Record<string, string> = {}) =>
  raw(s.port, { body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), headers: { ...headers, ...sessionHeaders(id) } });

async function sdkClient(url: string, options: { modern?: boolean } = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: "isolation", version: "1" }, options.modern ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, transport };
}

const expectJsonRpcError = (res: RawResponse, where: string) => {
  expect(res.status, `${where}: ${res.status} ${res.body}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${where}: ${res.body}`).toBeLessThan(500);
  const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string } };
  expect(body.jsonrpc).toBe("2.0");
  expect(typeof body.error.code).toBe("number");
  expect(body.error.message.length).toBeGreaterThan(0);
};

describe("sessions", () => {
  it("get distinct random ids, and DELETE ends one session for good without touching another", async () => {
    const s = await serve();
    const a = await openSession(s);
    const b = await openSession(s);
    for (const id of [a, b]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect((await listTools(s, a)).status).toBe(200);

    const deleted = await raw(s.port, { method: "DELETE", headers: sessionHeaders(a) });
    expect(deleted.status).toBe(200);
    for (const method of ["POST", "GET", "DELETE"]) {
      const res =
        method === "POST"
          ? await listTools(s, a)
          : await raw(s.port, { method, headers: { ...sessionHeaders(a), ...(method === "GET" ? { accept: "text/event-stream" } : {}) } });
      expect(res.status, `${method} after DELETE: ${res.body}`).toBe(404);
    }
    const again = await listTools(s, b);
    expect(again.status).toBe(200);
    expect(again.body).toContain("clari_get_limits");
    const health = JSON.parse((await raw(s.port, { method: "GET", path: "/healthz" })).body) as { sessions: number };
    expect(health.sessions).toBe(1);
  });

  it("refuses a session id issued by another server, and unknown or malformed ids, without a 500", async () => {
    const one = await serve();
    const two = await serve();
    const fromOne = await openSession(one);
    expect((await listTools(two, fromOne)).status).toBe(404);
    expect((await listTools(one, fromOne)).status).toBe(200);
    for (const forged of ["00000000-0000-4000-8000-000000000000", fromOne.toUpperCase(), `${fromOne} `, `${fromOne},${fromOne}`, "../../healthz", "x".repeat(4000), "*"]) {
      const res = await listTools(two, forged);
      expect([400, 404], `${JSON.stringify(forged.slice(0, 60))}: ${res.body}`).toContain(res.status);
    }
    expect((await listTools(one, fromOne)).status).toBe(200);
  });

  it("answers concurrent calls from two sessions each on its own stream", async () => {
    const s = await serve();
    const { client: a } = await sdkClient(s.url);
    const { client: b } = await sdkClient(s.url);
    const ids = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
    const calls = (client: Client, jobIds: string[]) => jobIds.map((jobId) => client.callTool({ name: "clari_get_export_job", arguments: { jobId } }));
    const [fromA, fromB] = await Promise.all([Promise.all(calls(a, ids("aaaa"))), Promise.all(calls(b, ids("bbbb")))]);
    fromA.forEach((r, i) => {
      expect(textOf(r)).toContain(ids("aaaa")[i]);
      expect(textOf(r)).not.toContain("bbbb");
    });
    fromB.forEach((r, i) => {
      expect(textOf(r)).toContain(ids("bbbb")[i]);
      expect(textOf(r)).not.toContain("aaaa");
    });
  });

  it("keeps progress in its own session, and one session cannot cancel another's request", async () => {
    const s = await serve([], { jobDurationMs: 1500 });
    const { client: a } = await sdkClient(s.url);
    const { client: b } = await sdkClient(s.url);
    const seenByB: string[] = [];
    b.fallbackNotificationHandler = async (n) => {
      seenByB.push(n.method);
    };
    const progressA: unknown[] = [];
    const call = a.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 20 } }, {
      onprogress: (p) => progressA.push(p),
      timeout: 30_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    // Request ids are per session, so B's guesses collide with A's numbering: they must not matter.
    for (let requestId = 0; requestId < 10; requestId++) {
      await b.notification({ method: "notifications/cancelled", params: { requestId, reason: "cross-session cancel" } });
    }
    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { outcome: string }).outcome).toBe("done");
    expect(progressA.length).toBeGreaterThan(0);
    expect(seenByB).not.toContain("notifications/progress");
    expect(s.sandbox.stats().jobsCreated).toBe(1);
  });
});

describe("cancelling on the 2026-07-28 protocol", () => {
  it("a 2026 client cancelling (it closes its request's stream) cancels the Clari job, stateful or stateless", async () => {
    for (const flags of [[], ["--stateless"]]) {
      const s = await serve(flags, { faults: { stuckJobs: true } });
      const { client } = await sdkClient(s.url, { modern: true });
      const controller = new AbortController();
      const call = client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 30 } }, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 1500));
      controller.abort();
      await expect(call).rejects.toThrow();
      const deadline = Date.now() + 5000;
      let jobs = await s.deps.client.listExportJobs();
      while (jobs[0]?.status !== "CANCELLED" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        jobs = await s.deps.client.listExportJobs();
      }
      expect(jobs.map((j) => j.status), flags.join(" ")).toEqual(["CANCELLED"]);
    }
  });
});

describe("malformed JSON-RPC", () => {
  const bodies = [
    "{}",
    '{"foo":1}',
    "[1,2,3]",
    "[{}]",
    '[{"garbage":true},{"jsonrpc":"1.0"}]',
    '[null,"x",[],{}]',
    '"just a string"',
    "null",
    "42",
    "true",
    '{"jsonrpc":"2.0"}',
    '{"jsonrpc":"2.0","id":{},"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":1,"method":123}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}',
    '{"jsonrpc":"3.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":1,"result":{},"error":{}}',
    '{"__proto__":{"polluted":true},"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    "\ufeff{}",
    "{}".padEnd(100_000, " "),
  ];

  it("gets a JSON-RPC error, never a 500, with or without a session; the server keeps serving", async () => {
    const s = await serve();
    const session = await openSession(s);
    for (const body of bodies) {
      const noSession = await raw(s.port, { body });
      expectJsonRpcError(noSession, `no session, ${body.slice(0, 40)}`);
      const inSession = await raw(s.port, { body, headers: sessionHeaders(session) });
      if (inSession.status === 200) {
        // The transport may accept a well-formed request and answer it with a JSON-RPC error.
        expect(inSession.body, body.slice(0, 40)).toMatch(/"error"/);
      } else expectJsonRpcError(inSession, `in session, ${body.slice(0, 40)}`);
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect((await listTools(s, session)).status).toBe(200);
    expect((await raw(s.port, { method: "GET", path: "/healthz" })).status).toBe(200);
  });

  it("gets a JSON-RPC error in stateless mode too", async () => {
    const s = await serve(["--stateless"]);
    for (const body of bodies) {
      const res = await raw(s.port, { body });
      if (res.status === 200) expect(res.body, body.slice(0, 40)).toMatch(/"error"/);
      else expectJsonRpcError(res, `stateless, ${body.slice(0, 40)}`);
    }
    const ok = await raw(s.port, { body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }) });
    expect(ok.status).toBe(200);
  });

  it("refuses a wrong content type, a missing Accept and unknown methods with 4xx", async () => {
    const s = await serve();
    const session = await openSession(s);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const cases: Array<Parameters<typeof raw>[1]> = [
      { body: list, headers: { ...sessionHeaders(session), "content-type": "text/plain" } },
      { body: list, headers: { ...sessionHeaders(session), accept: "text/html" } },
      { method: "PUT", body: list, headers: sessionHeaders(session) },
      { method: "PATCH", body: list },
      { method: "GET", headers: { accept: "text/event-stream" } },
      { method: "DELETE" },
      { method: "POST", path: "/mcp/", body: list },
      { method: "POST", path: "/other", body: list },
    ];
    for (const c of cases) {
      const res = await raw(s.port, c);
      expect(res.status, `${c.method ?? "POST"} ${c.path ?? "/mcp"} ${JSON.stringify(c.headers ?? {})}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await listTools(s, session)).status).toBe(200);
  });
});

describe("body limits", () => {
  it("answers 413 to an oversized body sent chunked (no Content-Length) and to an oversized declared length", async () => {
    for (const flags of [[], ["--stateless"]]) {
      const s = await serve(flags);
      const chunk = Buffer.alloc(256 * 1024, "a");
      const chunked = await raw(s.port, { body: [Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"'), ...Array.from({ length: 56 }, () => chunk), Buffer.from('"}}')] });
      expect(chunked.status, flags.join(" ")).toBe(413);
      const declared = await statusOfRawBytes(
        s.port,
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n{}`,
      );
      expect(declared, flags.join(" ")).toBe(413);
      expect((await raw(s.port, { method: "GET", path: "/healthz" })).status).toBe(200);
      const init = await raw(s.port, { body: JSON.stringify(INIT) });
      expect(init.status).toBe(200);
    }
  });
});

describe("Host and Origin (DNS rebinding)", () => {
  it("refuses forged Host headers on every method and path, and accepts the local ones", async () => {
    const s = await serve();
    const forged = ["evil.example", "evil.example:80", "localhost.evil.example", "127.0.0.1.nip.io", "127.0.0.2", "0.0.0.0", "[::2]", "localhost@evil.example", "evil.example#localhost", ""];
    for (const host of forged) {
      for (const [method, path] of [["POST", "/mcp"], ["GET", "/mcp"], ["DELETE", "/mcp"], ["GET", "/healthz"]] as const) {
        const res = await raw(s.port, { method, path, host, body: method === "POST" ? JSON.stringify(INIT) : undefined });
        expect(res.status, `${method} ${path} Host ${JSON.stringify(host)}`).toBe(403);
      }
    }
    // Malformed Host values: refused one way or another, never served.
    for (const host of ["127.0.0.1:80:evil", "localhost:abc", "[::1"]) {
      const res = await raw(s.port, { host, body: JSON.stringify(INIT) }).catch(() => ({ status: 400 }) as RawResponse);
      expect(res.status, host).toBeGreaterThanOrEqual(400);
      expect(res.status, host).toBeLessThan(500);
    }
    const missing = await raw(s.port, { host: null, body: JSON.stringify(INIT) }).catch(() => ({ status: 400 }) as RawResponse);
    expect([400, 403]).toContain(missing.status);
    for (const host of [`localhost:${s.port}`, `LOCALHOST:${s.port}`, `127.0.0.1:${s.port}`, "localhost", `[::1]:${s.port}`]) {
      expect((await raw(s.port, { method: "GET", path: "/healthz", host })).status, host).toBe(200);
    }
    expect(JSON.parse((await raw(s.port, { method: "GET", path: "/healthz" })).body).sessions).toBe(0);
  });

  it("refuses foreign and opaque Origins, and accepts local ones and those allowed by flag", async () => {
    const s = await serve(["--allowed-origins", "https://app.example"]);
    const foreign = [
      "https://evil.example",
      "http://localhost.evil.example",
      "http://127.0.0.1.evil.example",
      "http://evil.example:80",
      "https://app.example.evil.example",
      "https://app.example:8443",
      "http://app.example",
      "null",
      "garbage",
      "file://",
      "http://[::2]",
    ];
    for (const origin of foreign) {
      for (const [method, path] of [["POST", "/mcp"], ["GET", "/mcp"], ["GET", "/healthz"]] as const) {
        const res = await raw(s.port, { method, path, headers: { origin }, body: method === "POST" ? JSON.stringify(INIT) : undefined });
        expect(res.status, `${method} ${path} Origin ${origin}`).toBe(403);
      }
    }
    for (const origin of ["http://localhost:5173", "http://127.0.0.1", "https://app.example", "https://APP.example/"]) {
      expect((await raw(s.port, { method: "GET", path: "/healthz", headers: { origin } })).status, origin).toBe(200);
    }
  });
});

describe("bearer token", () => {
  const TOKEN = "isolation-token-0123456789abcdef";

  it("refuses every variant of a missing or wrong token with 401 on every method and path", async () => {
    const s = await serve(["--http-token", TOKEN]);
    const wrong = [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Bearer wrong",
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.toUpperCase()}`,
      `Token ${TOKEN}`,
      `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`,
      TOKEN,
      `Bearer ${TOKEN}, Bearer ${TOKEN}`,
    ];
    for (const authorization of wrong) {
      for (const [method, path] of [["POST", "/mcp"], ["GET", "/mcp"], ["DELETE", "/mcp"]] as const) {
        const res = await raw(s.port, { method, path, headers: authorization === undefined ? {} : { authorization }, body: method === "POST" ? JSON.stringify(INIT) : undefined });
        expect(res.status, `${method} ${path} ${JSON.stringify(authorization)}`).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
        expect(res.body).not.toContain(TOKEN);
      }
      // A health check needs no token and learns only that the server is up.
      const health = await raw(s.port, { method: "GET", path: "/healthz", headers: authorization === undefined ? {} : { authorization } });
      expect(health.status).toBe(200);
      expect(Object.keys(JSON.parse(health.body)).sort()).toEqual(["status", "version"]);
      expect(health.body).not.toContain(TOKEN);
    }
    expect(JSON.parse((await raw(s.port, { method: "GET", path: "/healthz", headers: { authorization: `Bearer ${TOKEN}` } })).body).sessions).toBe(0);
  });

  it("requires the token on every request of a session, not only on initialize", async () => {
    const s = await serve(["--http-token", TOKEN]);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const session = await openSession(s, auth);
    expect((await listTools(s, session, auth)).status).toBe(200);
    expect((await listTools(s, session)).status).toBe(401);
    expect((await listTools(s, session, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await raw(s.port, { method: "DELETE", headers: sessionHeaders(session) })).status).toBe(401);
    expect((await listTools(s, session, auth)).status).toBe(200);
  });
});

