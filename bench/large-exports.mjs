/**
 * 5. Large exports: forecast export files of 100k and 1M rows in each of the three shapes,
 * streamed to bench/tmp/exports by gen-forecast.mjs (kept and reused while the generator version
 * and size match), then normalised (normaliseForecastFile) and summarised (summariseForecast) in a
 * fresh `node` child per run, which reports its time and peak RSS (resourceUsage().maxRSS).
 * Idle children (nothing imported; the normaliser imported) give the floor under those figures.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GENERATOR_VERSION, writeForecastFile } from "./gen-forecast.mjs";
import { BENCH_DIR, TMP, figure, log, median, round, runNodeJson, sized } from "./lib.mjs";

const CHILD = path.join(BENCH_DIR, "normalise-child.mjs");
const DIR = path.join(TMP, "exports");
const SHAPES = [
  { key: "tables", label: "JSON tables" },
  { key: "flat", label: "flat array" },
  { key: "csv", label: "CSV" },
];
/** The last (largest) size carries the target; a smoke run uses two tiny sizes in its place. */
const SIZES = sized(
  [
    { rows: 100_000, label: "100k" },
    { rows: 1_000_000, label: "1M" },
  ],
  [
    { rows: 2_000, label: "2k" },
    { rows: 20_000, label: "20k" },
  ],
);
const LARGEST = SIZES.at(-1).rows;

export async function ensureFile(shape, rows, label) {
  mkdirSync(DIR, { recursive: true });
  const file = path.join(DIR, `forecast-${shape}-${label}.${shape === "csv" ? "csv" : "json"}`);
  const metaFile = `${file}.meta.json`;
  if (existsSync(file) && existsSync(metaFile)) {
    try {
      const meta = JSON.parse(readFileSync(metaFile, "utf8"));
      if (meta.version === GENERATOR_VERSION && meta.rows === rows && meta.bytes === statSync(file).size) return { file, ...meta, generatedMs: null };
    } catch {
      /* regenerate */
    }
  }
  const t0 = performance.now();
  const written = await writeForecastFile(shape, rows, file);
  const generatedMs = performance.now() - t0;
  writeFileSync(metaFile, JSON.stringify({ version: GENERATOR_VERSION, ...written }));
  return { file, version: GENERATOR_VERSION, ...written, generatedMs };
}

export async function run({ runs = sized(3, 1) } = {}) {
  const idle = [];
  const loaded = [];
  for (let i = 0; i < runs; i++) {
    idle.push(await runNodeJson(CHILD, ["--idle"]));
    loaded.push(await runNodeJson(CHILD, ["--loaded"]));
  }
  const idleKB = median(idle.map((x) => x.maxRssKB));
  const loadedKB = median(loaded.map((x) => x.maxRssKB));

  const cases = [];
  for (const size of SIZES) {
    for (const shape of SHAPES) {
      const f = await ensureFile(shape.key, size.rows, size.label);
      const samples = [];
      for (let i = 0; i < runs; i++) samples.push(await runNodeJson(CHILD, [f.file], { timeoutMs: 180_000 }));
      const bad = samples.find((s) => s.rows !== size.rows || s.summaryRowCount !== size.rows);
      if (bad) throw new Error(`${f.file}: normalised ${bad.rows} rows, expected ${size.rows}`);
      const peakKB = median(samples.map((s) => s.maxRssKB));
      const c = {
        shape: shape.key,
        shapeLabel: shape.label,
        rows: size.rows,
        sizeLabel: size.label,
        fileBytes: f.bytes,
        fileMB: round(f.bytes / 1e6, 1),
        generatedMs: f.generatedMs === null ? "reused" : round(f.generatedMs, 0),
        normaliseMs: round(median(samples.map((s) => s.normaliseMs)), 0),
        summariseMs: round(median(samples.map((s) => s.summariseMs)), 1),
        rowsPerSecond: round(size.rows / (median(samples.map((s) => s.normaliseMs)) / 1000), 0),
        peakRssMB: round((peakKB * 1024) / 1e6, 1),
        peakRssToFile: round((peakKB * 1024) / f.bytes, 2),
        peakOverIdleToFile: round(((peakKB - idleKB) * 1024) / f.bytes, 2),
        samples: samples.map((s) => ({ normaliseMs: round(s.normaliseMs, 0), summariseMs: round(s.summariseMs, 1), maxRssKB: s.maxRssKB })),
      };
      cases.push(c);
      log(`large export ${size.label} ${shape.label}: ${c.fileMB} MB, normalise ${c.normaliseMs} ms, summarise ${c.summariseMs} ms, peak RSS ${c.peakRssMB} MB (${c.peakRssToFile}x file)`);
    }
  }

  const figures = [
    figure("rss_idle", "Peak RSS of an idle node child / with the normaliser imported", `${round((idleKB * 1024) / 1e6, 1)} / ${round((loadedKB * 1024) / 1e6, 1)}`, "MB", "reference", null),
    ...cases.map((c) =>
      figure(
        `export_${c.shape}_${c.sizeLabel}`,
        `Normalise + summarise ${c.sizeLabel} rows, ${c.shapeLabel} (${c.fileMB} MB): time; peak RSS (x file size)`,
        `${round((c.normaliseMs + c.summariseMs) / 1000, 2)} s; ${c.peakRssMB} MB (${c.peakRssToFile}x)`,
        "",
        c.rows === LARGEST ? "peak RSS < 2x file" : "",
        c.rows === LARGEST ? c.peakRssToFile < 2 : null,
      ),
    ),
  ];
  return {
    figures,
    details: {
      runs,
      idleMaxRssKB: idleKB,
      loadedMaxRssKB: loadedKB,
      cases,
    },
  };
}
