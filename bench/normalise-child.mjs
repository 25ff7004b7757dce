/**
 * Runs in a fresh `node` child: normalise one forecast export file with normaliseForecastFile,
 * summarise it with summariseForecast, and print one JSON line with the timings and the
 * process's peak RSS (resourceUsage().maxRSS, KB).
 *
 *   node bench/normalise-child.mjs FILE      measure FILE
 *   node bench/normalise-child.mjs --idle    an idle node process (nothing imported)
 *   node bench/normalise-child.mjs --loaded  the normaliser modules imported, nothing read
 */
import { statSync } from "node:fs";

const arg = process.argv[2];
const report = (extra) => {
  const mem = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({
      ...extra,
      maxRssKB: process.resourceUsage().maxRSS,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      externalBytes: mem.external,
      arrayBuffersBytes: mem.arrayBuffers,
    })}\n`,
  );
};

if (arg === "--idle") {
  report({ mode: "idle" });
} else {
  const { normaliseForecastFile } = await import("../dist/exports/read/normalise-forecast.js");
  const { summariseForecast } = await import("../dist/exports/summary/summarise-forecast.js");
  if (arg === "--loaded") {
    report({ mode: "loaded" });
  } else {
    const fileBytes = statSync(arg).size;
    const t0 = performance.now();
    const table = await normaliseForecastFile(arg);
    const t1 = performance.now();
    const summary = summariseForecast(table);
    const t2 = performance.now();
    report({
      mode: "file",
      fileBytes,
      shape: table.shape,
      rows: table.length,
      summaryRowCount: summary.rowCount,
      users: summary.userCount,
      weeks: summary.weeks.count,
      warnings: table.warnings.length,
      normaliseMs: t1 - t0,
      summariseMs: t2 - t1,
    });
  }
}
