/**
 * A forecast export is normalised while it downloads: the stored file holds the very bytes
 * Clari sent, and neither the row model nor the query engine reads that file back (removed right
 * after the download, both still answer). A body cut short leaves no file, no entry and no table.
 * A parse thread that dies partway (a large body is parsed on one) loses nothing: the stored file
 * is parsed in process instead, to the same rows.
 */
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ClariResponseError } from "../../src/client/errors.js";
import { downloadExport } from "../../src/exports/jobs/download.js";
import { ForecastParseThread } from "../../src/exports/read/forecast-parse-thread.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { createLogger } from "../../src/logger.js";
import { harnessPerTest, storeFolder, tempDir, textOf, type Harness } from "../helpers/harness.js";

// Registered before the harness so they run after it has closed (after-hooks run last first).
const dirs: Array<{ remove(): Promise<void> }> = [];
afterEach(async () => {
  while (dirs.length) await dirs.pop()!.remove();
});
const harness = harnessPerTest();

async function doneJob(h: Harness): Promise<{ jobId: string; job: Awaited<ReturnType<Harness["clari"]["getExportJob"]>> }> {
  const { jobId } = await h.clari.exportForecast("net_bookings", { typesToExport: ["forecast", "quota", "forecast_updated"] });
  h.sandbox.finishJob(jobId);
  return { jobId, job: await h.clari.getExportJob(jobId) };
}

async function served(h: Harness, jobId: string): Promise<Buffer> {
  const res = await fetch(`${h.sandbox.v4Url}/export/jobs/${jobId}/results`, { headers: { apikey: "sandbox" } });
  return Buffer.from(await res.arrayBuffer());
}

describe("parse while downloading", () => {
  it("the table comes from the download itself: the stored file can go and the rows and the query engine still answer", async () => {
    const cache = await tempDir();
    dirs.push(cache);
    const h = await harness({ cacheDir: cache.dir });
    const { jobId, job } = await doneJob(h);
    // Every way the store hands a file back is watched (and still does its work).
    const readBack: string[] = [];
    const store = h.deps.store;
    for (const method of ["localPath", "read", "openStream"] as const) {
      const real = store[method].bind(store) as (id: string) => unknown;
      (store as unknown as Record<string, (id: string) => unknown>)[method] = (id: string) => {
        readBack.push(`${method} ${id}`);
        return real(id);
      };
    }
    const entry = await downloadExport(jobId, job, h.deps);
    expect(entry?.kind).toBe("forecast");
    const file = path.join(storeFolder(cache.dir, h.sandbox), "files", jobId);
    const stored = await readFile(file);
    const body = await served(h, jobId);
    expect(stored.equals(body)).toBe(true);
    await rm(file);

    const truth = normaliseForecast(body);
    expect(truth.length).toBeGreaterThan(100);
    const table = await h.deps.tables.get(jobId);
    expect([...table.rows()]).toEqual([...truth.rows()]);

    // The engine holds one row per person, field and week (the data types side by side).
    const keys = new Set([...truth.rows()].map((r) => `${r.userId}|${r.field}|${r.timePeriodId}|${r.weekStart}`));
    const result = await h.client.callTool({ name: "clari_query", arguments: { sql: "SELECT count(*) AS n FROM forecast_all" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toContain(`| ${keys.size} |`);
    expect(readBack.filter((call) => call.endsWith(jobId))).toEqual([]);
  });

  it("a CSV export is parsed along too, to the same rows as its file", async () => {
    const h = await harness();
    const { jobId } = await h.clari.exportForecast("net_bookings", { exportFormat: "CSV", typesToExport: ["forecast", "quota"] });
    h.sandbox.finishJob(jobId);
    const entry = await downloadExport(jobId, await h.clari.getExportJob(jobId), h.deps);
    expect(entry?.mimeType).toBe("text/csv");
    const truth = normaliseForecast(await served(h, jobId));
    expect(truth.shape).toBe("csv");
    expect(truth.length).toBeGreaterThan(100);
    const table = await h.deps.tables.get(jobId);
    expect(table.shape).toBe("csv");
    expect([...table.rows()]).toEqual([...truth.rows()]);
  });

  it("a body cut short keeps no file, no entry and no table", async () => {
    const cache = await tempDir();
    dirs.push(cache);
    const h = await harness({ cacheDir: cache.dir });
    const { jobId, job } = await doneJob(h);
    h.sandbox.setFaults({ truncateRate: 1 });
    const damaged = await downloadExport(jobId, job, h.deps).catch((e: unknown) => e);
    expect(damaged).toBeInstanceOf(ClariResponseError);
    expect((damaged as Error).message).toMatch(/was damaged .*truncated.* not kept/);
    expect(h.deps.store.get(jobId)).toBeUndefined();
    await expect(readFile(path.join(storeFolder(cache.dir, h.sandbox), "files", jobId))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(h.deps.tables.get(jobId)).rejects.toThrow();
  });

  it("a parse thread that dies partway loses nothing: the stored file is parsed in process, to the same rows", async () => {
    const cache = await tempDir();
    dirs.push(cache);
    const warnings: string[] = [];
    const logger = createLogger("warn", (line) => warnings.push(line));
    // 1,500 users with their history: ~20 MB, past the size parsed in process, so it goes to a thread.
    const h = await harness({ cacheDir: cache.dir, sandbox: { users: 1500 }, logger });
    const { jobId } = await h.clari.exportForecast("net_bookings", { includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated", "adjustment"] });
    h.sandbox.finishJob(jobId);
    const real = ForecastParseThread.start.bind(ForecastParseThread);
    let threads = 0;
    ForecastParseThread.start = (options) => {
      const thread = real(options);
      if (!thread) throw new Error("No built parse thread (dist/parse-thread.js): run npm run build first.");
      threads++;
      // The thread is ended for real after its 20th chunk, mid-download.
      const write = thread.write.bind(thread);
      let chunks = 0;
      thread.write = (chunk) => {
        write(chunk);
        if (++chunks === 20) void (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      };
      return thread;
    };
    try {
      const entry = await downloadExport(jobId, await h.clari.getExportJob(jobId), h.deps);
      expect(threads).toBe(1);
      expect(entry?.kind).toBe("forecast");
      const body = await served(h, jobId);
      expect(body.length).toBeGreaterThan(8 << 20);
      expect((await readFile(path.join(storeFolder(cache.dir, h.sandbox), "files", jobId))).equals(body)).toBe(true);
      const table = await h.deps.tables.get(jobId);
      expect([...table.rows()]).toEqual([...normaliseForecast(body).rows()]);
      expect(warnings.join("\n")).toMatch(/the parse thread ended .*its stored file is parsed in process instead/);
    } finally {
      ForecastParseThread.start = real;
    }
  });
});
