/**
 * 8. A question over a 5M-row forecast export: the file (JSON tables, from gen-forecast.mjs) is
 * put into a store folder as a finished export, then the built binary, pointed at that folder,
 * answers one clari_query over stdio: reading the file into the row model and DuckDB, then the
 * question. Measures that first answer and the server process's peak RSS (VmHWM), against the
 * query memory cap (--query-memory-mb, its default) plus 150 MB, and apart from it the query
 * worker's (the child process that runs callers' SQL on the DuckDB file the server wrote).
 * A smoke run (CLARI_BENCH_SMOKE=1) does the same with 20k rows.
 */
import { createReadStream, rmSync } from "node:fs";
import path from "node:path";
import { credentialFolder } from "../dist/deps.js";
import { ExportStore } from "../dist/exports/index.js";
import { ensureFile } from "./large-exports.mjs";
import { call, childrenPeakRssMB, peakRssMB, QUESTIONS } from "./query.mjs";
import { CLI, TMP, cleanEnv, connectStdio, figure, log, round, sized } from "./lib.mjs";

const ROWS = sized(5_000_000, 20_000);
const ROWS_LABEL = sized("5M", "20k");
/** --query-memory-mb's default (src/config.ts). */
const MEMORY_CAP_MB = 1024;
const API_KEY = "bench-large";
/** Never contacted: the question is answered from the store. */
const BASE_URL = "http://127.0.0.1:9/v4";

async function storeExport(cacheDir, file) {
  const store = await ExportStore.open(path.join(cacheDir, credentialFolder(BASE_URL, API_KEY)), { maxBytes: 8 * 1024 ** 3 });
  const now = Date.now();
  const request = { forecastId: "net_bookings", timePeriod: "2026_Q4", includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated"] };
  await store.save(
    { jobId: "bench5m", kind: "forecast", requestKey: JSON.stringify(request), request, mimeType: "application/json", completedAt: now, expiresAt: now + 86_400_000 },
    createReadStream(file),
  );
}

export async function run() {
  const f = await ensureFile("tables", ROWS, ROWS_LABEL);
  const cacheDir = path.join(TMP, "cache-query-large");
  rmSync(cacheDir, { recursive: true, force: true });
  await storeExport(cacheDir, f.file);
  const env = cleanEnv({ CLARI_API_KEY: API_KEY, CLARI_BASE_URL: BASE_URL });
  const session = await connectStdio({ args: [CLI, "--cache-dir", cacheDir, "--max-store-mb", "8192"], env });
  let first;
  let peak;
  let workerPeak;
  try {
    first = await call(session.client, "clari_query", QUESTIONS.clari_query);
    const rows = first.result.structuredContent?.rows?.length ?? 0;
    if (rows === 0) throw new Error(`the ${ROWS_LABEL}-row question answered no rows: ${JSON.stringify(first.result.content).slice(0, 300)}`);
    peak = peakRssMB(session.transport.pid);
    workerPeak = childrenPeakRssMB(session.transport.pid);
  } finally {
    await session.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const bound = MEMORY_CAP_MB + 150;
  log(`query over ${ROWS} rows (${round(f.bytes / 1e6, 0)} MB file): first answer ${round(first.ms, 0)} ms, peak RSS ${peak} MB (query worker ${workerPeak} MB)`);
  return {
    figures: [
      figure("query_5m_first_ms", `Query, ${ROWS_LABEL}-row forecast export (${round(f.bytes / 1e6, 0)} MB JSON): first question (reads it into the engine)`, round(first.ms, 0), "ms"),
      figure("query_5m_peak_rss", `Query, ${ROWS_LABEL}-row forecast export: server peak RSS vs memory cap ${MEMORY_CAP_MB} MB + 150 MB`, peak, "MB", `<= ${bound} MB`, peak <= bound),
      figure("query_5m_worker_peak_rss", `Query, ${ROWS_LABEL}-row forecast export: query worker peak RSS (its own process, running the callers' SQL)`, workerPeak, "MB", "", null),
    ],
    details: { rows: ROWS, fileBytes: f.bytes, firstQueryMs: round(first.ms, 0), peakRssMB: peak, workerPeakRssMB: workerPeak, memoryCapMB: MEMORY_CAP_MB },
  };
}
