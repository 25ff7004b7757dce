/**
 * A key echoed in any common encoding never leaves the process. Unit: redactSecrets and redactDeep
 * against every form of key-encodings.ts (computed there, independently of the code under test).
 * End to end: the built binary over stdio against a hostile fake Clari that echoes the apikey it
 * receives, in every form, in 200 bodies and errors alike; every tool result, stdout, stderr and
 * every file under the cache dir is searched for every form.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createRedactingTransform } from "../../src/security/redact-stream.js";
import { redactSecrets, registerSecret } from "../../src/security/redact.js";
import { redactDeep } from "../../src/security/redact-deep.js";
import { ECHO_JOB_ID, startEchoClari, type EchoClari } from "../helpers/echo-clari.js";
import { decodeHTML } from "entities";
import { echoesOf, encodingsOf, findAnyLeaks, findLeaks, halvesOf } from "../helpers/key-encodings.js";
import { startStdioBinary, type RpcReply, type StdioBinary } from "./binary.js";

/** A realistic key: 32 random base64 characters with at least one '+' or '/', so URL forms differ. */
function randomKey(): string {
  for (;;) {
    const key = randomBytes(24).toString("base64");
    if (/[+/]/.test(key)) return key;
  }
}

/** Every form of the key, in the text as written and as revealed (escapes undone, ignorables dropped). */
function expectNoLeaks(where: string, text: string, key: string): void {
  expect(findAnyLeaks(text, key, decodeHTML), `${where} leaks the key`).toEqual([]);
}

describe("redaction of every encoding (unit)", () => {
  const key = `${randomKey().slice(0, 26)} "x"/é`;
  beforeAll(() => registerSecret(key));

  it("the test's own list covers at least 10 encodings, and finds each one unredacted", () => {
    const echoes = echoesOf(key);
    expect(echoes.length).toBeGreaterThanOrEqual(15);
    for (const echo of echoes) expect(findLeaks(`...${echo}...`, key)).not.toEqual([]);
    expect(findLeaks(JSON.stringify({ a: halvesOf(key)[0], b: halvesOf(key)[1] }), key)).not.toEqual([]);
  });

  it("redactSecrets removes every one, alone or amid other text", () => {
    for (const [name, form] of Object.entries(encodingsOf(key))) expectNoLeaks(name, redactSecrets(`before ${form} after`), key);
    for (const echo of echoesOf(key)) expectNoLeaks(echo, redactSecrets(`"${echo}"`), key);
    const all = redactSecrets(echoesOf(key).join(""));
    expectNoLeaks("all at once", all, key);
    expect(all).toMatch(/\[redacted\]/);
  });

  it("redactDeep removes every one from values and keys, and a key split across two fields", () => {
    const [first, second] = halvesOf(key);
    const data = { echoes: echoesOf(key), byName: encodingsOf(key), keyed: Object.fromEntries(echoesOf(key).map((e) => [e, 1])), job: { id: 1, title: `x ${first}`, module: `${second} y`, status: "DONE" } };
    const out = redactDeep(data);
    expectNoLeaks("redactDeep", JSON.stringify(out), key);
    expect(out.job).toEqual({ id: 1, title: "[redacted]", module: "[redacted]", status: "DONE" });
  });
  it("createRedactingTransform removes every one from an export file streamed in small chunks", async () => {
    // Raw lines (JSON.stringify of an echo would escape it twice), then the key as a JSON value.
    const file = `${echoesOf(key).map((e, i) => `u${i},${e}`).join("\n")}\n${JSON.stringify({ note: key })}\n`;
    const bytes = Buffer.from(file, "utf8");
    const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const out = (await buffer(Readable.from(pieces).pipe(createRedactingTransform()))).toString("utf8");
    expect(findLeaks(file, key)).not.toEqual([]);
    expectNoLeaks("the streamed file", out, key);
    expect(out).toBe(redactSecrets(file));
  });
});

describe("a hostile Clari echoing the apikey in every encoding, against the built binary", () => {
  const key = randomKey();
  let upstream: EchoClari;
  let bin: StdioBinary;
  let cacheDir: string;
  const replies: Array<[string, RpcReply]> = [];

  beforeAll(async () => {
    upstream = await startEchoClari();
    cacheDir = await mkdtemp(path.join(tmpdir(), "clari-echo-"));
    bin = await startStdioBinary(["--cache-dir", cacheDir, "--log-level", "debug", "--wait-seconds", "5"], {
      CLARI_API_KEY: key,
      CLARI_BASE_URL: upstream.v4Url,
      CLARI_INGEST_BASE_URL: upstream.v2Url,
    });
    const calls: Array<[string, Record<string, unknown>]> = [
      ["clari_list_export_jobs", {}],
      ["clari_get_limits", {}],
      ["clari_list_audit_events", { limit: 20 }],
      // An audit error whose message and details each hold part of a composed form of the key.
      ["clari_list_audit_events", { event: "login.failed" }],
      ["clari_get_export_job", { jobId: ECHO_JOB_ID }],
      ["clari_get_opportunities", { oppIds: ["006000000000000AAA"] }],
      ["clari_export_audit_events", { waitSeconds: 5 }],
      ["clari_get_export_results", { jobId: ECHO_JOB_ID, pageSize: 5 }],
      // Errors: a 404 quoting the key, an HTML 500, a 400 from the ingest API.
      ["clari_get_export_job", { jobId: "nosuchjob" }],
      ["clari_get_forecast", { forecastId: "net_bookings" }],
      ["clari_get_ingest_job", { jobId: "abc" }],
    ];
    for (const [name, args] of calls) replies.push([name, await bin.tool(name, args)]);
    for (const uri of [`clari://exports/${ECHO_JOB_ID}`, "clari://limits", "clari://exports/nosuchjob"]) replies.push([uri, await bin.request("resources/read", { uri })]);
    await bin.close();
  }, 60_000);

  afterAll(async () => {
    await bin?.close();
    await upstream?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("the upstream was called and its echoes reached the tools (200s and errors alike)", () => {
    expect(upstream.seen).toEqual(expect.arrayContaining(["GET /v4/export/jobs", "GET /v4/admin/limits", "GET /v4/audit/events", "GET /v4/opportunity", `GET /v4/export/jobs/${ECHO_JOB_ID}`]));
    const byName = new Map([...replies].reverse()); // the first reply of each name
    for (const name of ["clari_list_export_jobs", "clari_get_limits", "clari_list_audit_events", "clari_get_export_job", "clari_get_opportunities"]) {
      expect(byName.get(name)?.result?.isError, `${name}: ${JSON.stringify(byName.get(name))}`).toBeUndefined();
    }
    expect(byName.get("clari_get_forecast")?.result?.isError).toBe(true);
    // No partner key, so the ingest tools are not listed: calling one is a protocol error (-32602).
    expect(byName.get("clari_get_ingest_job")?.error).toMatchObject({ code: -32602 });
    expect(JSON.stringify(replies)).toMatch(/\[redacted\]/);
    // The audit error split the composed forms across message and details: each field that held part of one is gone whole.
    const auditError = replies.filter(([name]) => name === "clari_list_audit_events")[1]?.[1];
    expect(auditError?.result?.isError).toBe(true);
    expect(JSON.stringify(auditError?.result?.content)).toMatch(/HTTP 400 \(bad_request\): \[redacted\]: \[redacted\]; \[redacted\]: \[redacted\]/);
  });

  it("no tool result or resource (content and structuredContent) holds any form of the key", () => {
    for (const [name, reply] of replies) {
      expectNoLeaks(`${name} content`, JSON.stringify(reply.result?.content ?? reply.result?.contents ?? reply.error), key);
      expectNoLeaks(`${name} structuredContent`, JSON.stringify(reply.result?.structuredContent ?? null), key);
    }
  });

  it("stdout (raw bytes) and stderr hold no form of the key", () => {
    expect(bin.stderr()).toMatch(/debug/);
    expectNoLeaks("stdout", bin.stdout(), key);
    expectNoLeaks("stderr", bin.stderr(), key);
  });

  it("no file under the cache dir holds any form of the key", async () => {
    const files = (await readdir(cacheDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(0);
    const leaks: Record<string, string[]> = {};
    for (const file of files) {
      const found = findAnyLeaks(await readFile(file, "utf8"), key, decodeHTML);
      if (found.length) leaks[path.relative(cacheDir, file)] = found;
    }
    expect(leaks, "files under the cache dir that hold a form of the key").toEqual({});
  });
});
