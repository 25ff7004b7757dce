/**
 * Memory bounded at any size: an export whose rows would take the server past --query-memory-mb
 * (plus its fixed overhead) is refused while it downloads, with a message naming the flag, and
 * nothing of it is kept; a stored one is refused the same way when it is read.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExportJobError } from "../../src/exports/jobs/errors.js";
import { downloadExport } from "../../src/exports/jobs/download.js";
import { ForecastTooLargeError, normaliseForecastFile } from "../../src/exports/read/normalise-forecast.js";
import { BYTES_PER_ROW, rowBudget } from "../../src/exports/read/row-budget.js";
import { harnessPerTest, storeFolder, tempDir } from "../helpers/harness.js";

// Registered before the harness so they run after it has closed (after-hooks run last first).
const dirs: Array<{ remove(): Promise<void> }> = [];
afterEach(async () => {
  while (dirs.length) await dirs.pop()!.remove();
});
const harness = harnessPerTest();

/** A cap that lets 80 rows in: far fewer than the sandbox's export holds. */
const TINY_CAP_MB = (80 * BYTES_PER_ROW) / (1024 * 1024);

describe("row budget", () => {
  it("follows the cap: 1024 MB lets about 8M rows in", () => {
    expect(rowBudget(TINY_CAP_MB)).toBe(80);
    expect(rowBudget(1024)).toBe(Math.floor((1024 * 1024 * 1024) / BYTES_PER_ROW));
  });

  it("an export over the budget is refused while it downloads, naming --query-memory-mb, and nothing is kept", async () => {
    const cache = await tempDir();
    dirs.push(cache);
    const h = await harness({ cacheDir: cache.dir });
    const { jobId } = await h.clari.exportForecast("net_bookings");
    h.sandbox.finishJob(jobId);
    const job = await h.clari.getExportJob(jobId);
    const refused = await downloadExport(jobId, job, { ...h.deps, config: { ...h.deps.config, queryMemoryMb: TINY_CAP_MB } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExportJobError);
    expect((refused as ExportJobError).next).toBe("new-export");
    expect((refused as Error).message).toMatch(/was not kept: it has more than 80 rows, more than --query-memory-mb .* lets the server hold/);
    expect(h.deps.store.get(jobId)).toBeUndefined();
    await expect(readFile(path.join(storeFolder(cache.dir, h.sandbox), "files", jobId))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(h.deps.tables.get(jobId)).rejects.toThrow();

    // The same export under the real cap is kept, and read from its file it is refused under the tiny one.
    const entry = await downloadExport(jobId, job, h.deps);
    expect(entry?.jobId).toBe(jobId);
    const file = path.join(cache.dir, "export.json");
    await writeFile(file, await h.deps.store.read(jobId));
    expect((await normaliseForecastFile(file, { queryMemoryMb: 1024 })).length).toBeGreaterThan(80);
    await expect(normaliseForecastFile(file, { queryMemoryMb: TINY_CAP_MB })).rejects.toBeInstanceOf(ForecastTooLargeError);
  });
});
