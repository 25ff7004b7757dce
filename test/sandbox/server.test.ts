import { request } from "node:http";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { T0, call, get, post, sandbox } from "./helpers.js";

/** A raw request that reports exactly what arrived (fetch would hide truncated bodies). */
function raw(sb: Sandbox, path: string, headers: Record<string, string> = { apikey: "sandbox" }) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string } | { error: string }>((resolve) => {
    const req = request(`${sb.url}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on("error", (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on("error", (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });
}

describe("auth, routing and limits", () => {
  it("a bad or missing apikey -> 401 in each family's form, never echoing the key", async () => {
    const lines: string[] = [];
    const sb = await sandbox({ apiKey: "s3cret-key", log: (l) => lines.push(l) });
    const bad = { apikey: "leaky-wrong-key" };
    const exp = await get(`${sb.v4Url}/export/jobs`, bad);
    expect(exp.status).toBe(401);
    expect(exp.json).toMatchObject({ code: "unauthorized", namespace: "exports", message: "Invalid authentication credentials" });
    const audit = await get(`${sb.v4Url}/audit/events`, bad);
    expect(audit.json.errors[0]).toMatchObject({ code: "unauthorized", status: "401" });
    expect((await get(`${sb.v4Url}/opportunity?oppId=x`, bad)).json[0]).toMatchObject({ statusCode: 401, reaspnPhrase: "Unauthorized" });
    expect((await post(`${sb.v4Url}/export/activity`, {}, bad)).json).toEqual({ message: "Invalid authentication credentials" });
    expect((await get(`${sb.v4Url}/admin/limits`, {})).status).toBe(401);
    expect((await get(`${sb.v4Url}/admin/limits`, { apikey: "s3cret-key" })).status).toBe(200);
    for (const r of [exp, audit]) expect(r.text).not.toMatch(/leaky|s3cret/);
    expect(lines.length).toBe(6);
    expect(lines[0]).toMatch(/^GET \/v4\/export\/jobs 401 \d+ms$/);
    expect(lines.join("\n")).not.toMatch(/leaky|s3cret/);
  });

  it("unknown path -> 404 JSON, wrong method -> 405 with Allow", async () => {
    const sb = await sandbox();
    const nf = await get(`${sb.v4Url}/export/nothing`);
    expect(nf.status).toBe(404);
    expect(nf.json.code).toBe("not_found");
    expect((await get(`${sb.url}/v3/export/jobs`)).status).toBe(404);
    expect((await get(`${sb.url}/v4/ingest/job/x`)).status).toBe(404);
    const na = await call(`${sb.v4Url}/admin/limits`, { method: "DELETE", headers: { apikey: "sandbox" } });
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("GET");
    expect(sb.stats().byRoute["DELETE /v4/admin/limits"]).toBe(1);
  });

  it("refuses bodies over 11 MB with 413 without buffering them", async () => {
    const sb = await sandbox();
    const body = new Uint8Array(12 * 1024 * 1024);
    const r = await call(`${sb.v4Url}/export/forecast/net_bookings`, {
      method: "POST",
      headers: { apikey: "sandbox", "content-type": "application/json" },
      body,
    }).catch((e: Error) => ({ status: -1, error: e }));
    expect(r.status).toBe(413);
    expect(sb.stats().jobsCreated).toBe(0);
  });

  it("429 with Retry-After in seconds, as an HTTP-date, or absent", async () => {
    const burst = async (sb: Sandbox, url = `${sb.v4Url}/admin/limits`, headers?: Record<string, string>) =>
      Promise.all(Array.from({ length: 5 }, () => get(url, headers)));
    const secs = await sandbox({ rateLimitPerSecond: 3, now: () => T0 });
    const rs = await burst(secs);
    expect(rs.filter((r) => r.status === 200)).toHaveLength(3);
    const limited = rs.filter((r) => r.status === 429);
    expect(limited).toHaveLength(2);
    expect(limited[0]?.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(limited[0]?.json).toMatchObject({ code: "rate_limit_exceeded", namespace: expect.any(String) });

    const dated = await sandbox({ rateLimitPerSecond: 3, now: () => T0, faults: { retryAfter: "date" } });
    const d = (await burst(dated)).find((r) => r.status === 429);
    const when = Date.parse(d?.headers.get("retry-after") ?? "");
    expect(when).toBeGreaterThan(T0);
    expect(when).toBeLessThanOrEqual(T0 + 3000);

    const none = await sandbox({ rateLimitPerSecond: 3, faults: { retryAfter: "none" } });
    const n = (await burst(none)).find((r) => r.status === 429);
    expect(n?.status).toBe(429);
    expect(n?.headers.get("retry-after")).toBeNull();

    // ingest and audit answer in their own forms
    const ing = await sandbox({ rateLimitPerSecond: 3 });
    const partner = { apikey: "sandbox", partnerkey: "sandbox-partner" };
    const i = (await burst(ing, `${ing.v2Url}/ingest/schema/account/field`, partner)).find((r) => r.status === 429);
    expect(i?.json[0].errorCode).toBe("TOO_MANY_REQUESTS");
    const aud = await sandbox({ rateLimitPerSecond: 3 });
    const a = (await burst(aud, `${aud.v4Url}/audit/events?limit=1`)).find((r) => r.status === 429);
    expect(a?.json.errors[0].status).toBe("429");

    // the window slides: a second later the key is admitted again
    await new Promise((r) => setTimeout(r, 1020));
    expect((await get(`${secs.v4Url}/admin/limits`)).status).toBe(200);
  });
});

describe("faults", () => {
  it("latencyMs delays every response", async () => {
    const sb = await sandbox({ faults: { latencyMs: 120 } });
    const t = performance.now();
    await get(`${sb.v4Url}/admin/limits`);
    expect(performance.now() - t).toBeGreaterThanOrEqual(110);
    sb.setFaults({ latencyMs: 0 });
    const t2 = performance.now();
    await get(`${sb.v4Url}/admin/limits`);
    expect(performance.now() - t2).toBeLessThan(100);
  });

  it("errorRate answers 5xx before doing anything: 500 JSON, 502/503/504 gateway pages", async () => {
    const sb = await sandbox({ faults: { errorRate: 1, errorStatus: 500 } });
    const r = await post(`${sb.v4Url}/export/forecast/net_bookings`, {});
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: "internal_server_error", namespace: "exports" });
    sb.setFaults({ errorStatus: 503 });
    const g = await post(`${sb.v4Url}/export/forecast/net_bookings`, {});
    expect(g.status).toBe(503);
    expect(g.headers.get("content-type")).toContain("text/html");
    expect(sb.stats().jobsCreated).toBe(0);
    sb.setFaults({ errorRate: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => get(`${sb.v4Url}/admin/limits`).then((x) => x.status)));
    const errors = statuses.filter((s) => s === 503).length;
    expect(errors).toBeGreaterThan(5);
    expect(errors).toBeLessThan(35);
  });

  it("truncateRate cuts JSON bodies in half with a matching Content-Length", async () => {
    const sb = await sandbox();
    const full = (await get(`${sb.v4Url}/admin/limits`)).text;
    sb.setFaults({ truncateRate: 1 });
    const r = await raw(sb, "/v4/admin/limits");
    if ("error" in r) throw new Error(r.error);
    expect(r.status).toBe(200);
    expect(r.body).toBe(full.slice(0, Math.floor(full.length / 2)));
    expect(Number(r.headers["content-length"])).toBe(Buffer.byteLength(r.body));
    expect(() => JSON.parse(r.body)).toThrow();
  });

  it("resetRate destroys the socket without a response", async () => {
    const sb = await sandbox({ faults: { resetRate: 1 } });
    const r = await raw(sb, "/v4/admin/limits");
    expect("error" in r).toBe(true);
    await expect(fetch(`${sb.v4Url}/admin/limits`, { headers: { apikey: "sandbox" } })).rejects.toThrow();
    sb.setFaults({ resetRate: 0 });
    expect((await get(`${sb.v4Url}/admin/limits`)).status).toBe(200);
  });

  it("rejects invalid fault settings", async () => {
    const sb = await sandbox();
    expect(() => sb.setFaults({ errorStatus: 418 as 500 })).toThrow(RangeError);
    expect(() => sb.setFaults({ failJobs: "MAYBE" as "none" })).toThrow(RangeError);
  });
});

describe("determinism", () => {
  it("two sandboxes with the same seed and clock give identical bytes", async () => {
    const run = async () => {
      const sb = await sandbox({ seed: 99, now: () => T0, jobDurationMs: 0 });
      const out: string[] = [];
      const q = await post(`${sb.v4Url}/export/forecast/net_arr`, { includeHistorical: true, typesToExport: ["forecast", "quota", "adjustment"] });
      out.push(q.text);
      out.push((await get(`${sb.v4Url}/export/jobs/${q.json.jobId}/results`)).text);
      out.push((await get(`${sb.v4Url}/export/jobs`)).text);
      out.push((await get(`${sb.v4Url}/audit/events?limit=50`)).text.replaceAll(sb.url, "ORIGIN"));
      out.push((await post(`${sb.v4Url}/export/forecast/nope`, {})).text);
      out.push((await get(`${sb.v4Url}/opportunity?oppId=${sb.org.opportunities()[5]?.oppId}`)).text);
      return out;
    };
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toEqual(b);
    const other = await sandbox({ seed: 100, now: () => T0, jobDurationMs: 0 });
    const q = await post(`${other.v4Url}/export/forecast/net_arr`, { includeHistorical: true, typesToExport: ["forecast", "quota", "adjustment"] });
    expect(q.text).not.toBe(a[0]);
  });
});
