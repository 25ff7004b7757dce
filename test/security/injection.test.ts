/**
 * Path and header injection. Ids holding "/", "..", "%2F", "?", "#", CR/LF or NUL, sent
 * - through ClariClient methods to a raw capture server: the bytes on the wire show one encoded
 *   path segment on the intended path and no injected header (or nothing sent at all);
 * - through ClariClient methods and through the tools to the sandbox: no request reaches any route
 *   but the intended one;
 * - as audit cursors and resource URIs.
 * And clari_ingest_bulk's filePath: nothing outside --ingest-dir is ever read or uploaded.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readdir, symlink, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClariClient } from "../../src/client/clari-client.js";
import { ClariConfigError } from "../../src/client/errors.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { API_KEY, PARTNER_KEY, startHarness, tempDir, textOf, type Harness } from "../helpers/harness.js";
import { startCaptureServer, type CaptureServer } from "./capture.js";
import { INJECTION_IDS, VALID_ARGS } from "./inputs.js";

interface Op {
  name: string;
  route: string;
  prefix: string;
  suffix: string;
  run(client: ClariClient, id: string): Promise<unknown>;
}

const dataset = [{ sourceEntity: "Account", records: [{ id: "001A", createdAt: 1, updatedAt: 2 }] }];

const OPS: Op[] = [
  { name: "getExportJob", route: "GET /v4/export/jobs/{jobId}", prefix: "/v4/export/jobs/", suffix: "", run: (c, id) => c.getExportJob(id) },
  { name: "getExportResults", route: "GET /v4/export/jobs/{jobId}/results", prefix: "/v4/export/jobs/", suffix: "/results", run: (c, id) => c.getExportResults(id) },
  { name: "cancelExportJob", route: "PATCH /v4/export/jobs/{jobId}", prefix: "/v4/export/jobs/", suffix: "", run: (c, id) => c.cancelExportJob(id) },
  { name: "exportForecast", route: "POST /v4/export/forecast/{forecastId}", prefix: "/v4/export/forecast/", suffix: "", run: (c, id) => c.exportForecast(id, { timePeriod: "2026_Q4" }) },
  { name: "getForecast", route: "GET /v4/forecast/{forecastId}", prefix: "/v4/forecast/", suffix: "", run: (c, id) => c.getForecast(id) },
  { name: "getIngestJob", route: "GET /v2/ingest/job/{jobId}", prefix: "/v2/ingest/job/", suffix: "", run: (c, id) => c.getIngestJob(id) },
  { name: "ingestRecords", route: "POST /v2/ingest/entity/{entity}", prefix: "/v2/ingest/entity/", suffix: "", run: (c, id) => c.ingestRecords(id, dataset) },
  {
    name: "ingestBulk",
    route: "POST /v2/ingest/bulk/entity/{entity}",
    prefix: "/v2/ingest/bulk/entity/",
    suffix: "",
    run: (c, id) => c.ingestBulk(id, { content: JSON.stringify(dataset) }),
  },
  {
    name: "addPicklistValues",
    route: "POST /v2/ingest/schema/{entity}/field",
    prefix: "/v2/ingest/schema/",
    suffix: "/field",
    run: (c, id) => c.addPicklistValues(id, { fieldName: "Tier", fieldType: "picklist", values: ["Gold"] }),
  },
  { name: "getPicklistValues", route: "GET /v2/ingest/schema/{entity}/field", prefix: "/v2/ingest/schema/", suffix: "/field", run: (c, id) => c.getPicklistValues(id) },
];

/** Ids the client must refuse before sending anything. */
const mustRefuse = (id: string): boolean => id === "" || id === "." || id === ".." || /[\u0000-\u001f\u007f]/.test(id);

/** Run a client call, whether it throws synchronously or rejects. */
async function settle(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: unknown }> {
  try {
    const value = await fn();
    const body = (value as { body?: { resume?: () => void } } | undefined)?.body;
    body?.resume?.();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

const ALLOWED_HEADERS = new Set(["host", "connection", "apikey", "partnerkey", "accept", "user-agent", "content-type", "content-length", "transfer-encoding", "accept-encoding"]);

function clientFor(v4: string, v2: string): ClariClient {
  return new ClariClient({ apiKey: API_KEY, partnerKey: PARTNER_KEY, v4BaseUrl: v4, v2BaseUrl: v2, retry: { maxRetries: 0, minDelayMs: 1, maxDelayMs: 1 } });
}

function routeDelta(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after).filter((k) => (after[k] ?? 0) > (before[k] ?? 0));
}

describe("ClariClient: ids on the wire (raw capture server)", () => {
  let capture: CaptureServer;
  let client: ClariClient;
  beforeAll(async () => {
    capture = await startCaptureServer();
    client = clientFor(capture.v4Url, capture.v2Url);
  });
  afterAll(async () => {
    await client?.close();
    await capture?.close();
  });

  for (const op of OPS) {
    it(`${op.name}: each id is one encoded path segment, never a header`, async () => {
      for (const id of [...INJECTION_IDS, "..%2f", "a%00b", "job\t1", "%", "%%32%65", "job/../../../admin/limits"]) {
        const before = capture.requests.length;
        const outcome = await settle(() => op.run(client, id));
        const sent = capture.requests.slice(before);
        expect(outcome.ok, `${op.name}(${JSON.stringify(id)}) should fail (the capture server answers 404)`).toBe(false);
        if (mustRefuse(id)) {
          expect(outcome.error, JSON.stringify(id)).toBeInstanceOf(ClariConfigError);
          expect(sent, `${op.name}(${JSON.stringify(id)}) was sent`).toHaveLength(0);
          continue;
        }
        expect(sent, `${op.name}(${JSON.stringify(id)})`).toHaveLength(1);
        const req = sent[0]!;
        const pathOnly = req.target.split("?")[0]!;
        expect(pathOnly.startsWith(op.prefix) && pathOnly.endsWith(op.suffix), req.requestLine).toBe(true);
        const segment = pathOnly.slice(op.prefix.length, pathOnly.length - op.suffix.length);
        expect(segment, req.requestLine).toMatch(/^[A-Za-z0-9\-_.!~*'()%]+$/);
        expect(segment).not.toMatch(/^(\.|\.\.)$/);
        expect(decodeURIComponent(segment)).toBe(id);
        expect(req.requestLine).toMatch(/^[A-Z]+ \S+ HTTP\/1\.1$/);
        for (const [name, value] of req.headers) {
          expect(ALLOWED_HEADERS.has(name), `unexpected header ${name} for ${JSON.stringify(id)}`).toBe(true);
          expect(value).not.toMatch(/injected/i);
        }
      }
    });
  }

  it("sends nothing for an id holding a lone surrogate", async () => {
    for (const op of OPS) {
      const before = capture.requests.length;
      const outcome = await settle(() => op.run(client, "job\ud800"));
      expect(outcome.ok).toBe(false);
      expect(capture.requests.length - before, op.name).toBe(0);
    }
  });

  it("never puts a configured key holding CR/LF, NUL or non-ASCII on the wire", async () => {
    for (const apiKey of ["sk-live-FAKE\r\nX-Injected: 1", "sk-live-FAKE\nX-Injected: 1", "sk-live-FAKE\u0000x", "ключ-1234"]) {
      const bad = new ClariClient({ apiKey, partnerKey: "pk\r\nX-Injected: 2", v4BaseUrl: capture.v4Url, v2BaseUrl: capture.v2Url, retry: { maxRetries: 0 } });
      const before = capture.requests.length;
      await expect(bad.getLimits()).rejects.toThrow();
      await expect(bad.getIngestJob("abc")).rejects.toThrow();
      await bad.close();
      for (const req of capture.requests.slice(before)) expect(req.raw.toString("latin1")).not.toMatch(/X-Injected/i);
    }
  });

  it("escapes CR/LF and quotes in a bulk upload's file name instead of breaking the multipart body", async () => {
    const before = capture.requests.length;
    await settle(() => client.ingestBulk("account", { content: JSON.stringify(dataset), fileName: 'a"\r\nX-Injected: 1\r\n\r\n.json' }));
    const req = capture.requests[before]!;
    const text = req.body.toString("latin1");
    expect(text).not.toMatch(/\r\nX-Injected/i);
    expect(text).toMatch(/filename="a%22%0D%0AX-Injected: 1%0D%0A%0D%0A\.json"/);
  });
});

describe("ClariClient and tools against the sandbox: no other route is reached", () => {
  let h: Harness;
  let client: ClariClient;
  beforeAll(async () => {
    h = await startHarness({ flags: ["--wait-seconds", "0"] });
    client = clientFor(h.sandbox.v4Url, h.sandbox.v2Url);
  });
  afterAll(async () => {
    await client?.close();
    await h?.close();
  });

  it("client methods reach only their own route", async () => {
    for (const op of OPS) {
      for (const id of INJECTION_IDS) {
        const before = h.sandbox.stats();
        await settle(() => op.run(client, id));
        const after = h.sandbox.stats();
        const routes = routeDelta(before.byRoute, after.byRoute);
        expect(routes.every((r) => r === op.route), `${op.name}(${JSON.stringify(id)}) reached ${routes.join(", ")}`).toBe(true);
        if (mustRefuse(id)) expect(after.requests - before.requests).toBe(0);
      }
    }
  });

  const ID_FIELDS: Array<{ tool: string; field: string; routes: string[] }> = [
    { tool: "clari_get_export_job", field: "jobId", routes: [] },
    { tool: "clari_get_export_results", field: "jobId", routes: [] },
    { tool: "clari_cancel_export_job", field: "jobId", routes: [] },
    { tool: "clari_wait_for_job", field: "jobId", routes: [] },
    { tool: "clari_get_ingest_job", field: "jobId", routes: [] },
    // forecastIds may contain dots: "." and ".." are refused by the path encoder, "..." is a (bad) id.
    { tool: "clari_export_forecast", field: "forecastId", routes: ["POST /v4/export/forecast/{forecastId}"] },
    { tool: "clari_get_forecast", field: "forecastId", routes: ["GET /v4/forecast/{forecastId}"] },
    { tool: "clari_ingest_records", field: "entity", routes: [] },
    { tool: "clari_ingest_bulk", field: "entity", routes: [] },
    { tool: "clari_add_picklist_values", field: "entity", routes: [] },
    { tool: "clari_get_picklist_values", field: "entity", routes: [] },
  ];

  it("tools refuse hostile ids with an error, without reaching another route", async () => {
    for (const { tool, field, routes } of ID_FIELDS) {
      for (const id of [...INJECTION_IDS, "...", "a.b/..", "..."]) {
        const before = h.sandbox.stats();
        const result = await h.client.callTool({ name: tool, arguments: { ...VALID_ARGS[tool], [field]: id } });
        const after = h.sandbox.stats();
        expect(result.isError, `${tool} ${field}=${JSON.stringify(id)}: ${textOf(result)}`).toBe(true);
        const reached = routeDelta(before.byRoute, after.byRoute);
        expect(reached.every((r) => routes.includes(r)), `${tool} ${field}=${JSON.stringify(id)} reached ${reached.join(", ")}`).toBe(true);
        if (id === "." || id === ".." || routes.length === 0) expect(after.requests - before.requests, `${tool} ${JSON.stringify(id)}`).toBe(0);
      }
    }
  });

  it("opportunity ids and list filters cannot add query parameters or headers", async () => {
    for (const hostile of ["006000000000001AAA&mode=X", "006000000000001AA\r\nX: 1", "006000000000001AAA#", "006000000000001AA/"]) {
      const before = h.sandbox.stats().requests;
      const result = await h.client.callTool({ name: "clari_get_opportunities", arguments: { oppIds: [hostile] } });
      expect(result.isError).toBe(true);
      expect(h.sandbox.stats().requests).toBe(before);
    }
  });

  it("audit cursors: a forged nextLink never reaches another origin or route", async () => {
    const origin = h.sandbox.url;
    const links = [
      `${origin}/v4/admin/limits`,
      `${origin}/v4/audit/events/../../v4/admin/limits`,
      `${origin}/v4/audit/events/../../../v2/ingest/job/x`,
      `${origin}/v4/audit/events/%2e%2e/%2e%2e/admin/limits`,
      `${origin.replace("127.0.0.1", "localhost")}/v4/audit/events`,
      `http://evil.example/v4/audit/events`,
      `//evil.example/v4/audit/events`,
      `https://${origin.slice("http://".length)}/v4/audit/events`,
      `${origin}@evil.example/v4/audit/events`,
      "javascript:alert(1)",
      "file:///etc/passwd",
      `${origin}/v4/audit/events?limit=5\r\nX-Injected: 1`,
      `${origin}/v4/audit/events?limit=5#frag`,
    ];
    for (const link of links) {
      const before = h.sandbox.stats();
      const result = await h.client.callTool({ name: "clari_list_audit_events", arguments: { cursor: Buffer.from(link).toString("base64url") } });
      const after = h.sandbox.stats();
      const reached = routeDelta(before.byRoute, after.byRoute);
      expect(reached.every((r) => r === "GET /v4/audit/events"), `cursor ${link} reached ${reached.join(", ")}`).toBe(true);
      if (reached.length === 0) expect(result.isError, link).toBe(true);
    }
  });

  it("audit page resources: a forged token never reaches another origin or route", async () => {
    const origin = h.sandbox.url;
    const tokens = [
      { filters: {}, nextLink: `${origin}/v4/admin/limits` },
      { filters: {}, nextLink: "http://evil.example/v4/audit/events" },
      { filters: { "limit=1&x": "1\r\nX-Injected: 1", actorId: ["../admin"] } },
      { filters: { limit: "../../admin/limits" } },
    ];
    for (const token of tokens) {
      const before = h.sandbox.stats();
      const uri = `clari://audit/events/page/${Buffer.from(JSON.stringify(token)).toString("base64url")}`;
      await h.client.readResource({ uri }).catch(() => undefined);
      const reached = routeDelta(before.byRoute, h.sandbox.stats().byRoute);
      expect(reached.every((r) => r === "GET /v4/audit/events"), `token ${JSON.stringify(token)} reached ${reached.join(", ")}`).toBe(true);
    }
  });

  it("export resources: a hostile jobId in the URI reaches at most the job status route", async () => {
    // "." and ".." are URI dot segments: clari://exports/.. is the export list itself.
    for (const id of INJECTION_IDS.filter((i) => i !== "" && i !== "." && i !== "..")) {
      for (const uri of [`clari://exports/${encodeURIComponent(id)}`, `clari://exports/${encodeURIComponent(id)}/rows/1`]) {
        const before = h.sandbox.stats();
        await h.client.readResource({ uri }).then(
          () => expect.fail(`${uri} was served`),
          () => undefined,
        );
        const reached = routeDelta(before.byRoute, h.sandbox.stats().byRoute);
        expect(reached.every((r) => r === "GET /v4/export/jobs/{jobId}"), `${uri} reached ${reached.join(", ")}`).toBe(true);
      }
    }
    expect((await h.client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe("clari_ingest_bulk filePath stays inside --ingest-dir", () => {
  let h: Harness;
  let tmp: { dir: string; remove(): Promise<void> };
  let ingestDir: string;
  const SECRET = "TOP-SECRET-OUTSIDE-CONTENT";

  beforeAll(async () => {
    tmp = await tempDir("clari-mcp-ingest-");
    const root = tmp.dir;
    ingestDir = path.join(root, "ingest");
    const outside = path.join(root, "outside");
    await mkdir(path.join(ingestDir, "sub"), { recursive: true });
    await mkdir(outside);
    await mkdir(path.join(root, "ingest-evil"));
    const content = JSON.stringify(dataset);
    await writeFile(path.join(ingestDir, "good.json"), content);
    await writeFile(path.join(ingestDir, "sub", "inner.json"), content);
    await writeFile(path.join(root, "secret.json"), JSON.stringify([{ sourceEntity: SECRET, records: [{ id: SECRET, createdAt: 1, updatedAt: 1 }] }]));
    await writeFile(path.join(outside, "secret.json"), SECRET);
    await writeFile(path.join(root, "ingest-evil", "x.json"), SECRET);
    await symlink(path.join(root, "secret.json"), path.join(ingestDir, "link-out.json"));
    await symlink("../secret.json", path.join(ingestDir, "rel-link-out.json"));
    await symlink(outside, path.join(ingestDir, "linkdir"));
    await symlink(path.join(ingestDir, "good.json"), path.join(ingestDir, "link-in.json"));
    await writeFile(path.join(ingestDir, "big.json"), "");
    await truncate(path.join(ingestDir, "big.json"), 10 * 1024 * 1024 + 1);
    h = await startHarness({ flags: ["--ingest-dir", ingestDir, "--wait-seconds", "0"] });
  });
  afterAll(async () => {
    await h?.close();
    await tmp?.remove();
  });

  const bulk = (filePath: string) => h.client.callTool({ name: "clari_ingest_bulk", arguments: { entity: "account", filePath, waitSeconds: 0 } });

  it("refuses paths that leave the folder, and sends nothing", async () => {
    const root = path.dirname(ingestDir);
    const refused = [
      "../secret.json",
      "sub/../../secret.json",
      path.join(root, "secret.json"),
      "/etc/passwd",
      "link-out.json",
      "rel-link-out.json",
      "linkdir/secret.json",
      "../ingest-evil/x.json",
      path.join(root, "ingest-evil", "x.json"),
      "%2e%2e/secret.json",
      "..%2fsecret.json",
      "good.json\u0000../../secret.json",
      "~/secret.json",
      ".",
      "sub",
      "linkdir",
      "missing.json",
      "big.json",
    ];
    for (const filePath of refused) {
      const before = h.sandbox.stats().requests;
      const result = await bulk(filePath);
      const text = textOf(result);
      expect(result.isError, `${filePath} was accepted: ${text}`).toBe(true);
      expect(text, filePath).toMatch(/outside the ingest folder|not found|not a file|10 MB|Invalid|invalid/);
      expect(text).not.toContain(SECRET);
      expect(h.sandbox.stats().requests - before, `${filePath} reached Clari`).toBe(0);
    }
    expect(h.sandbox.stats().ingestJobsCreated).toBe(0);
  });

  it("uploads files inside the folder (directly, in a sub-folder, through an inside symlink), to the bulk route only", async () => {
    for (const filePath of ["good.json", "sub/inner.json", "./sub/../good.json", "link-in.json", path.join(ingestDir, "good.json")]) {
      const before = h.sandbox.stats();
      const result = await bulk(filePath);
      expect(result.isError, `${filePath}: ${textOf(result)}`).toBeFalsy();
      const reached = routeDelta(before.byRoute, h.sandbox.stats().byRoute);
      expect(reached).toContain("POST /v2/ingest/bulk/entity/{entity}");
      expect(reached.every((r) => r === "POST /v2/ingest/bulk/entity/{entity}" || r === "GET /v2/ingest/job/{jobId}"), reached.join(", ")).toBe(true);
    }
  });

  it("refuses every file path when no ingest folder is configured", async () => {
    const plain = await startHarness({ flags: ["--wait-seconds", "0"], existingSandbox: h.sandbox });
    try {
      const before = h.sandbox.stats().requests;
      const result = await plain.client.callTool({ name: "clari_ingest_bulk", arguments: { entity: "account", filePath: "good.json" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/--ingest-dir/);
      expect(h.sandbox.stats().requests).toBe(before);
    } finally {
      await plain.close();
    }
  });
});

describe("a hostile upstream cannot steer the export store", () => {
  it("job ids with path traversal from Clari never become file names outside the store", async () => {
    const evilIds = ["../../escaped", "..", "/tmp/escaped-abs", "a/../../escaped2"];
    let next = 0;
    const upstream = createServer((req, res) => {
      req.resume();
      const url = decodeURIComponent(req.url ?? "");
      const send = (body: unknown, type = "application/json") => {
        res.writeHead(200, { "content-type": type });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      if (req.method === "POST") return send({ jobId: evilIds[next++ % evilIds.length] });
      const id = /\/export\/jobs\/(.*?)(\/results)?$/.exec(url);
      if (id?.[2]) return send("PWNED-CONTENT", "application/json");
      if (id) return send({ job: { jobId: id[1], status: "DONE", module: "FORECAST", endTime: Date.now(), expiredTime: Date.now() + 86_400_000 } });
      return send({ jobs: [] });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const tmp = await tempDir("clari-mcp-store-");
    const cacheDir = path.join(tmp.dir, "a", "b", "store");
    const h = await startHarness({ cacheDir, client: { v4BaseUrl: `${base}/v4`, v2BaseUrl: `${base}/v2` } });
    try {
      const results = await Promise.all(
        evilIds.map(() => h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", fresh: true, waitSeconds: 5 } })),
      );
      for (const result of results) {
        expect(result.isError, textOf(result)).toBe(true);
        expect(textOf(result)).not.toContain("PWNED");
      }
      for (const uri of ["clari://exports/..%2F..%2Fescaped", "clari://exports/%2Ftmp%2Fescaped-abs"]) {
        const read = await h.client.readResource({ uri }).then((r) => JSON.stringify(r), (e: Error) => e.message);
        expect(read).not.toContain("PWNED");
      }
      const walk = async (dir: string): Promise<string[]> =>
        (await readdir(dir, { withFileTypes: true })).flatMap((e) => [path.join(dir, e.name)]).concat(
          ...(await Promise.all((await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => walk(path.join(dir, e.name))))),
        );
      const files = await walk(tmp.dir);
      expect(files.filter((f) => !f.startsWith(cacheDir)).every((f) => !/escaped/.test(f)), files.join("\n")).toBe(true);
      expect(files.filter((f) => /escaped/.test(f)), files.join("\n")).toEqual([]);
      await expect(readdir("/tmp").then((names) => names.filter((n) => n.startsWith("escaped-abs")))).resolves.toEqual([]);
    } finally {
      await h.close();
      await new Promise((resolve) => upstream.close(resolve));
      await tmp.remove();
    }
  });
});

describe("sandbox reachability check", () => {
  it("the capture helpers and a fresh sandbox agree on route names", async () => {
    const sb: Sandbox = await startSandbox({ jobDurationMs: 50 });
    const c = clientFor(sb.v4Url, sb.v2Url);
    await settle(() => c.getExportJob("abc"));
    expect(Object.keys(sb.stats().byRoute)).toEqual(["GET /v4/export/jobs/{jobId}"]);
    await c.close();
    await sb.close();
  });
});
