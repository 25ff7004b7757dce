/**
 * Clari answering a job id that is the API key (a job id is only checked to be letters, digits,
 * '-' or '_'): the export is refused with a clear error, and the key is nowhere, not on stdout
 * (the protocol), not in the log, not in a file's name or contents under the cache folder. The
 * built binary over stdio against a fake Clari (found by a red-team pass: the key named the stored
 * file and a resource link, and the index was set aside as damaged on every write).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStdioBinary, type RpcReply } from "./binary.js";

const KEY = "Zx8QmP2vL9rT4wK7yB3nC6dF1gH5jS0a";

/** A Clari that queues every export under the job id given, and serves it DONE. */
async function fakeClari(jobId: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const p = new URL(req.url ?? "/", "http://x").pathname;
      const job = { jobId, status: "DONE", module: "audit", fileType: "json", startTime: 1, endTime: 2, expiredTime: 4e12 };
      let body: unknown = { code: "bad_request", message: "no" };
      let status = 200;
      if (req.method === "POST" && p.startsWith("/v4/export/")) body = { jobId };
      else if (p === `/v4/export/jobs/${jobId}`) body = { job };
      else if (p === "/v4/export/jobs") body = { jobs: [job] };
      else if (p === `/v4/export/jobs/${jobId}/results`) body = { items: [], actors: [] };
      else status = 400;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("a job id that is the key", () => {
  let reply: RpcReply;
  let stdout = "";
  let stderr = "";
  let files: Array<[name: string, content: string]> = [];
  let cacheDir = "";
  let server: Server | undefined;

  beforeAll(async () => {
    const clari = await fakeClari(KEY);
    server = clari.server;
    cacheDir = await mkdtemp(path.join(tmpdir(), "clari-jobid-key-"));
    const bin = await startStdioBinary(["--cache-dir", cacheDir, "--log-level", "debug", "--wait-seconds", "5"], { CLARI_API_KEY: KEY, CLARI_BASE_URL: `${clari.url}/v4`, CLARI_INGEST_BASE_URL: `${clari.url}/v2` });
    reply = await bin.tool("clari_export_audit_events", { waitSeconds: 5 });
    await bin.close();
    stdout = bin.stdout();
    stderr = bin.stderr();
    const entries = (await readdir(cacheDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    files = await Promise.all(entries.map(async (e) => [path.relative(cacheDir, path.join(e.parentPath, e.name)), await readFile(path.join(e.parentPath, e.name), "latin1")] as [string, string]));
  }, 60_000);
  afterAll(async () => {
    server?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("refuses the export, saying why", () => {
    const text = JSON.stringify(reply);
    expect(text).toMatch(/isError|error/);
    expect(text).toMatch(/holds a configured key or token/);
  });

  it("leaves the key out of stdout, the log and every file, and sets nothing aside as damaged", () => {
    const fragments = [KEY, KEY.slice(0, 12), KEY.slice(-12), Buffer.from(KEY).toString("base64").slice(0, 20)];
    for (const fragment of fragments) {
      expect(stdout, "stdout").not.toContain(fragment);
      expect(stderr, "log").not.toContain(fragment);
      for (const [name, content] of files) {
        expect(name).not.toContain(fragment);
        expect(content, name).not.toContain(fragment);
      }
    }
    expect(files.map(([name]) => name).filter((name) => /\.bad-/.test(name))).toEqual([]);
  });
});
