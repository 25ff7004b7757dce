/**
 * Regression tests for security bugs found by the fuzz and isolation suites: a cursor reaching
 * other paths, client methods throwing, unchecked resource ids, secrets echoed in 200 bodies,
 * HTTP sessions leaking their server, and forged log lines.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStdioBinary } from "./binary.js";
import { startHttp } from "../../src/transports/http.js";
import { ClariClient } from "../../src/client/clari-client.js";
import { ClariConfigError } from "../../src/client/errors.js";
import { API_KEY, PARTNER_KEY, startHarness, startRuntime, type Harness } from "../helpers/harness.js";

function routeDelta(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after).filter((k) => (after[k] ?? 0) > (before[k] ?? 0));
}

describe("regressions", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ flags: ["--wait-seconds", "0"] });
  });
  afterAll(() => h?.close());

  // BUG: src/client/clari-client.ts sameOriginPath accepts any path that merely STARTS WITH
  // `${basePath}/audit/events`, so a forged cursor sends the apikey to other paths of the origin.
  it("an audit cursor must point at exactly /audit/events", async () => {
    const origin = h.sandbox.url;
    for (const link of [`${origin}/v4/audit/events/extra`, `${origin}/v4/audit/eventsX`, `${origin}/v4/audit/events%2F..%2F..%2Fadmin%2Flimits`]) {
      const before = h.sandbox.stats();
      const result = await h.client.callTool({ name: "clari_list_audit_events", arguments: { cursor: Buffer.from(link).toString("base64url") } });
      expect(result.isError).toBe(true);
      expect(routeDelta(before.byRoute, h.sandbox.stats().byRoute), link).toEqual([]);
    }
  });

  // BUG: src/client/path.ts encodeSegment lets encodeURIComponent throw a bare URIError for a lone
  // surrogate, and the non-async ClariClient methods (getExportJob, exportForecast, ...) throw
  // synchronously instead of returning a rejected promise.
  it("client methods reject (never throw) and classify a malformed id", async () => {
    const client = new ClariClient({ apiKey: API_KEY, partnerKey: PARTNER_KEY, v4BaseUrl: h.sandbox.v4Url, v2BaseUrl: h.sandbox.v2Url });
    for (const id of ["..", "a\r\nb", "job\ud800"]) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = client.getExportJob(id);
      }, JSON.stringify(id)).not.toThrow();
      await expect(promise, JSON.stringify(id)).rejects.toBeInstanceOf(ClariConfigError);
    }
    await client.close();
  });

  // BUG: src/resources/export-resources.ts reads jobId from the URI with no validation, so ids the
  // tools refuse (jobIdInput) still cost a request to Clari.
  it("export resources refuse a jobId the tools refuse, without a request", async () => {
    for (const id of ["a/b", "job?x=1", "../admin/limits", "job results"]) {
      const before = h.sandbox.stats().requests;
      await expect(h.client.readResource({ uri: `clari://exports/${encodeURIComponent(id)}` })).rejects.toThrow(/jobId/);
      expect(h.sandbox.stats().requests - before, id).toBe(0);
    }
  });
});

// BUG: src/tools/kit/define-tool.ts toCallToolResult (and the resource handlers in src/resources/) pass
// successful answers through unredacted: a key that Clari quotes in a 200 body (a job title, an
// audit event's parameters) reaches the tool result and the resource content.
describe("regression: secrets in successful answers", () => {
  it("a key quoted in a 200 body never reaches a tool result or resource", async () => {
    const KEY = "sk-live-FAKE-abcdef0123456789";
    const server = createServer((req, res) => {
      const key = String(req.headers.apikey ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      if (req.url === "/v4/export/jobs") res.end(JSON.stringify({ jobs: [{ jobId: "echo200", status: "DONE", title: `apikey: ${key}`, module: "FORECAST" }] }));
      // Also as HTML character references: decoding them loads `entities` in the bundled binary on first use.
      else res.end(JSON.stringify({ job: { jobId: "echo200", status: "STARTED", title: `Export for ${key}`, module: [...key].map((c) => `&#${c.charCodeAt(0)};`).join("") } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const bin = await startStdioBinary(["--no-cache"], { CLARI_API_KEY: KEY, CLARI_BASE_URL: `http://127.0.0.1:${port}/v4`, CLARI_INGEST_BASE_URL: `http://127.0.0.1:${port}/v2` });
    try {
      const replies = [await bin.tool("clari_get_export_job", { jobId: "echo200" }), await bin.tool("clari_list_export_jobs"), await bin.request("resources/read", { uri: "clari://exports" })];
      expect(replies[0]!.result?.isError).toBeFalsy();
      for (const reply of replies) expect(JSON.stringify(reply)).not.toContain(KEY);
      // The references decode to the key, so the field is redacted whole (not passed on as written).
      expect((replies[0]!.result?.structuredContent as { job?: { module?: unknown } } | undefined)?.job?.module).toBe("[redacted]");
    } finally {
      await bin.close();
      server.close();
    }
  });
});

// BUG: src/transports/http.ts handleStateful: a session ended by DELETE (or a closed transport) is
// removed from the map, but its McpServer is never closed, so the store.onChange listener that
// createServer registers (and the whole server object) stays alive: memory grows with every session.
describe("regression: HTTP sessions release their server", () => {
  it("DELETE of a session closes its McpServer (store listeners return to where they were)", async () => {
    const h = await startHarness();
    const { runtime, config } = await startRuntime(h.sandbox, ["--transport", "http", "--port", "0", "--no-cache"], { partnerKey: false });
    const { deps } = runtime;
    const { store } = deps;
    const http = await startHttp(deps, config);
    const listeners = () => (store as unknown as { listeners: Set<unknown> }).listeners.size;
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const before = listeners(); // the table cache's own listener
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(http.url, {
          method: "POST",
          headers,
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
        });
        await res.text();
        const id = res.headers.get("mcp-session-id")!;
        expect((await fetch(http.url, { method: "DELETE", headers: { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" } })).status).toBe(200);
      }
      expect(listeners()).toBe(before);
    } finally {
      await http.close();
      await runtime.close();
      await h.close();
    }
  });
});

// BUG: src/logger.ts writes messages verbatim: a CR (or U+2028/U+2029) in user input that reaches
// a log line (a filePath in a ToolInputError, a scopeId echoed by Clari's error) forges log lines.
// runTool logs only the first "\n"-line of an error, but "\r" and U+2028 pass through.
describe("regression: log lines cannot be forged", () => {
  it("every stderr line is one clari-mcp log line without control characters", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = await mkdtemp(path.join(tmpdir(), "clari-mcp-log-"));
    const bin = await startStdioBinary(["--sandbox", "--no-cache", "--sandbox-job-ms", "100", "--log-level", "debug", "--ingest-dir", dir, "--wait-seconds", "1"], {});
    try {
      await bin.tool("clari_ingest_bulk", { entity: "account", filePath: "a\rclari-mcp error: FORGED-CR\u2028clari-mcp error: FORGED-LS" });
      await bin.tool("clari_export_forecast", { forecastId: "net_bookings", scopeId: "x\rclari-mcp error: FORGED-SCOPE" });
    } finally {
      await bin.close();
      await rm(dir, { recursive: true, force: true });
    }
    for (const line of bin.stderr().split("\n").filter(Boolean)) {
      expect(line, JSON.stringify(line)).toMatch(/^clari-mcp (error|warn|info|debug): [^\r\u2028\u2029\u0000-\u0008]*$/);
    }
  });
});
