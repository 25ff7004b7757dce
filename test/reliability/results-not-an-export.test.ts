/**
 * Results that are not a whole export are never kept. A DONE job whose results answer 200 with
 * something else (Clari's error object, `{}`, `[]`, an empty body, a proxy's HTML page) or with
 * a CSV cut inside its last row: the answer is an error naming the jobId, nothing is stored, and
 * the next ask fetches the results again, with no new job; no export at all a second time, and
 * the job leaves the journal, so the ask after queues a new one. Results Clari says are gone (404
 * job_not_found, 410) after DONE are asked for once more; gone twice, the job leaves the journal
 * and the next ask queues a new export, where before every ask resumed the dead job.
 */
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { writeCsv } from "../exports/fixtures.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, startServer, stopAll, type CallResult } from "./server-process.js";

let fake: FakeClari | undefined;
afterEach(async () => {
  await stopAll();
  await fake?.close();
  fake = undefined;
});

const FLAGS = ["--wait-seconds", "20"];
const resultsGets = (): number => fake!.requests.filter((r) => /\/results$/.test(r.path)).length;

function expectRefused(result: CallResult, jobId: string, reason: RegExp): void {
  expect(result.answer?.isError, result.answer?.text ?? String(result.error)).toBe(true);
  expect(result.answer?.text).toContain(jobId);
  expect(result.answer?.text).toMatch(reason);
}

async function exportsStored(server: Awaited<ReturnType<typeof startServer>>): Promise<string> {
  const answer = await server.call("clari_query", { sql: "SELECT count(*) AS stored FROM exports" });
  expect(answer.answer?.isError, answer.answer?.text).toBe(false);
  return answer.answer?.text ?? "";
}

/** Where the nth cell of a CSV line ends (the comma after it), outside quotes. */
function cellEnd(line: string, n: number): number {
  let quoted = false;
  let cells = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === "," && !quoted && ++cells === n) return i;
  }
  throw new Error(`the line has fewer than ${n + 1} cells`);
}

const NOT_EXPORTS: Record<string, [contentType: string, body: string, reason: RegExp]> = {
  "Clari's error object": ["application/json", JSON.stringify({ code: "internal_error", message: "Results temporarily unavailable" }), /no entries table/],
  "an empty object": ["application/json", "{}", /no entries table/],
  "an empty array": ["application/json", "[]", /no header row and no rows/],
  "an empty body": ["application/json", "", /body was empty/],
  "a proxy's HTML page": ["text/html", "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>", /not a forecast export|cut short/],
};

describe.sequential("results that are not a whole export", () => {
  for (const [name, [contentType, body, reason]] of Object.entries(NOT_EXPORTS)) {
    it(`${name} is refused and not stored; fetched again on the next ask, and given up the second time`, async () => {
      fake = await startFakeClari({
        jobMs: 300,
        hook: (request, _req, res) => {
          if (!/\/results$/.test(request.path)) return false;
          res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
          res.end(body);
          return true;
        },
      });
      const server = await startServer(fake, { flags: FLAGS });
      const first = await server.call(EXPORT_TOOL, forecastArgs(20));
      const jobId = fake.jobs()[0]!.jobId;
      expectRefused(first, jobId, reason);
      expect(first.answer?.text).toMatch(/not kept/);
      expect(resultsGets()).toBe(1);
      const second = await server.call(EXPORT_TOOL, forecastArgs(20));
      expectRefused(second, jobId, /twice with no export at all.*Ask again to queue a new export/s);
      expect(resultsGets()).toBe(2);
      expect(fake.posts()).toHaveLength(1);
      expect(await exportsStored(server)).toContain("| 0 |");
      // The job left the journal: the next ask queues a new one.
      await server.call(EXPORT_TOOL, forecastArgs(20));
      expect(fake.posts()).toHaveLength(2);
    });
  }

  it("a CSV cut inside its last row is refused; the whole file, fetched on the next ask, is kept with every row", async () => {
    const full = writeCsv();
    const rows = full.trimEnd().split("\r\n").length - 1;
    const last = full.trimEnd().split("\r\n").at(-1)!;
    // Cut at the comma before the last row's 11th cell (Data Type): 10 whole cells, no quote left open.
    const cut = full.slice(0, full.lastIndexOf(last) + cellEnd(last, 10));
    let whole = false;
    fake = await startFakeClari({
      jobMs: 300,
      hook: (request, _req, res) => {
        if (!/\/results$/.test(request.path)) return false;
        const body = whole ? full : cut;
        res.writeHead(200, { "content-type": "text/csv", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return true;
      },
    });
    const server = await startServer(fake, { flags: FLAGS });
    const first = await server.call(EXPORT_TOOL, { ...forecastArgs(20), exportFormat: "CSV" });
    const jobId = fake.jobs()[0]!.jobId;
    expectRefused(first, jobId, /ends inside its last row/);
    expect(await exportsStored(server)).toContain("| 0 |");
    whole = true;
    const second = await server.call(EXPORT_TOOL, { ...forecastArgs(20), exportFormat: "CSV" });
    expect(second.answer?.isError, second.answer?.text).toBe(false);
    expect(second.answer?.structured.outcome).toBe("done");
    expect(second.answer?.structured.jobId).toBe(jobId);
    expect(fake.posts()).toHaveLength(1);
    expect(resultsGets()).toBe(2);
    // One forecast row per person, period, field and week (the data types side by side), counted from the file itself.
    const [, ...records] = parse(full) as string[][];
    expect(records).toHaveLength(rows);
    const keys = new Set(records.map((r) => [r[0], r[5], r[6], r[7], r[8]].join("|")));
    const counted = await server.call("clari_query", { sql: "SELECT row_count FROM exports" });
    expect(counted.answer?.isError, counted.answer?.text).toBe(false);
    expect(counted.answer?.text).toContain(`| ${keys.size} |`);
  });
});

describe.sequential("results gone after DONE", () => {
  for (const [status, code] of [
    [404, "job_not_found"],
    [410, "gone"],
  ] as const) {
    it(`${status} twice: the answer says a new export is needed, and the next ask queues one`, async () => {
      fake = await startFakeClari({
        jobMs: 300,
        hook: (request, _req, res) => {
          if (!/\/results$/.test(request.path)) return false;
          const body = JSON.stringify({ code, message: `results ${status}` });
          res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
          res.end(body);
          return true;
        },
      });
      const server = await startServer(fake, { flags: FLAGS });
      const first = await server.call(EXPORT_TOOL, forecastArgs(20));
      const jobId = fake.jobs()[0]!.jobId;
      expectRefused(first, jobId, /results are gone/);
      expect(first.answer?.text).not.toMatch(/Nothing is lost/);
      expect(resultsGets()).toBe(2);
      expect(fake.posts()).toHaveLength(1);
      const second = await server.call(EXPORT_TOOL, forecastArgs(20));
      expect(fake.posts()).toHaveLength(2);
      expectRefused(second, fake.jobs()[1]!.jobId, /results are gone/);
    });
  }

  it("gone once, then there: the results are fetched on the second look, one job", async () => {
    let gone = 1;
    fake = await startFakeClari({
      jobMs: 300,
      hook: (request, _req, res) => {
        if (!/\/results$/.test(request.path) || gone === 0) return false;
        gone--;
        const body = JSON.stringify({ code: "job_not_found", message: "not yet" });
        res.writeHead(404, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return true;
      },
    });
    const server = await startServer(fake, { flags: FLAGS });
    const answer = await server.call(EXPORT_TOOL, forecastArgs(20));
    expect(answer.answer?.isError, answer.answer?.text).toBe(false);
    expect(answer.answer?.structured.outcome).toBe("done");
    expect(resultsGets()).toBe(2);
    expect(fake.posts()).toHaveLength(1);
  });
});
