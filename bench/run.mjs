#!/usr/bin/env node
/**
 * `npm run bench`: builds (via the npm script), then runs every benchmark in turn, writes
 * bench/results.json and bench/RESULTS.md, and prints the table.
 *
 *   node bench/run.mjs                 everything
 *   node bench/run.mjs --only polling  some sections (comma separated keys below); the other
 *                                      sections' last results are kept in results.json and RESULTS.md
 *   node bench/run.mjs --out DIR       write results.json and RESULTS.md into DIR instead
 *   CLARI_BENCH_SMOKE=1 node bench/run.mjs --out DIR
 *                                      every section at a tiny size (lib.mjs), every figure still
 *                                      reported; never written to bench/ (default DIR: TMP/smoke)
 *
 * A watchdog stops the whole run after 20 minutes (a smoke run after 7), writing what was
 * measured so far.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BENCH_DIR, SMOKE, TMP, killChildren, log, round } from "./lib.mjs";

const SECTIONS = [
  { key: "coldStart", title: "1. Cold start (stdio)", module: "./cold-start.mjs" },
  { key: "catalogue", title: "2. Catalogue size", module: "./catalogue.mjs" },
  { key: "overhead", title: "3. Per-call overhead (stdio)", module: "./overhead.mjs" },
  { key: "polling", title: "4. Job polling", module: "./polling.mjs" },
  { key: "largeExports", title: "5. Large exports", module: "./large-exports.mjs" },
  { key: "http", title: "6. Streamable HTTP under load", module: "./http.mjs" },
  { key: "httpReplicas", title: "6b. Streamable HTTP on Postgres: one process, two replicas", module: "./http-replicas.mjs" },
  { key: "query", title: "7. Questions over a stored export", module: "./query.mjs" },
  { key: "queryLarge", title: `8. A question over a ${SMOKE ? "20k" : "5M- and 10M"}-row export`, module: "./query-large.mjs" },
  { key: "oauth", title: "9. Sign-in (OAuth) cost against static tokens", module: "./oauth.mjs" },
];

const SECTION_KEYS = SECTIONS.map((s) => s.key);

const WATCHDOG_MS = SMOKE ? 420_000 : 1_200_000;

const { values } = parseArgs({ options: { only: { type: "string" }, out: { type: "string" } } });
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
const unknown = [...(only ?? [])].filter((key) => !SECTION_KEYS.includes(key));
if (unknown.length) {
  process.stderr.write(`Unknown section ${unknown.join(", ")}; the sections are ${SECTION_KEYS.join(", ")}.\n`);
  process.exit(2);
}
// A smoke run's timings mean nothing: they never replace the real results in bench/.
const OUT_DIR = path.resolve(values.out ?? (SMOKE ? path.join(TMP, "smoke") : BENCH_DIR));
mkdirSync(OUT_DIR, { recursive: true });

/** The commit measured, and how many files under src/ differed from it (the build includes them). */
function sourceVersion() {
  try {
    const git = (...args) => execFileSync("git", args, { cwd: path.dirname(BENCH_DIR), encoding: "utf8", timeout: 10_000 }).trim();
    const changed = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
    return { commit: git("rev-parse", "--short", "HEAD"), uncommittedSrcFiles: changed };
  } catch {
    return { commit: "unknown", uncommittedSrcFiles: null };
  }
}

const started = Date.now();
const results = {
  startedAt: new Date(started).toISOString(),
  smoke: SMOKE,
  source: sourceVersion(),
  machine: {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    // Other work on the machine skews timings: the 1-minute load average before and after.
    loadAverageAtStart: round(os.loadavg()[0], 2),
    loadAverageAtEnd: null,
  },
  sections: {},
  figures: [],
  errors: [],
  wallSeconds: null,
  complete: false,
};

const fmt = (v) => (typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 3 }) : String(v));
const metCell = (m) => (m === true ? "met" : m === false ? "NOT MET" : "");

function table() {
  const lines = ["| Figure | Value | Target | Met |", "| --- | --- | --- | --- |"];
  for (const f of results.figures) lines.push(`| ${f.figure} | ${fmt(f.value)}${f.unit ? ` ${f.unit}` : ""} | ${f.target || ""} | ${metCell(f.met)} |`);
  return lines.join("\n");
}

function catalogueTable() {
  const cat = results.sections.catalogue;
  if (!cat) return "";
  const inDefault = new Set(cat.default.perTool.map((t) => t.name));
  const lines = [
    `Per tool, as listed with all toolsets (${cat.all.toolCount} tools). Est. tokens = characters / 4. ` +
      `"default" marks the ${cat.default.toolCount} tools a keyed server without a partner key lists.`,
    "",
    "| Tool | In default | Bytes | Est. tokens | Description chars | inputSchema chars | outputSchema chars |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const t of cat.all.perTool) {
    lines.push(`| ${t.name} | ${inDefault.has(t.name) ? "yes" : "no"} | ${fmt(t.bytes)} | ${fmt(t.tokens)} | ${fmt(t.description)} | ${fmt(t.inputSchema)} | ${fmt(t.outputSchema)} |`);
  }
  const sum = (k) => cat.all.perTool.reduce((a, t) => a + t[k], 0);
  lines.push(`| **total (tools/list result)** | | ${fmt(cat.all.total.bytes)} | ${fmt(cat.all.total.tokens)} | ${fmt(sum("description"))} | ${fmt(sum("inputSchema"))} | ${fmt(sum("outputSchema"))} |`);
  return lines.join("\n");
}

function detailTables() {
  const out = [];
  const p = results.sections.polling;
  if (p) {
    out.push("### Polling, per job", "", "| Job duration | DONE -> returned | DONE -> status answer that saw it | after that answer (download, store, summarise) | of which the sandbox building + sending the file | status requests | per second of the call |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const b of p.perBase) for (const r of b.runs) out.push(`| ${r.durationMs} ms | ${r.delayMs} ms | ${r.pollLagMs} ms | ${r.afterLastPollMs} ms | ${r.sandboxResultsMs} ms | ${r.statusRequests} | ${r.requestsPerSecond} |`);
    out.push("");
  }
  const e = results.sections.largeExports;
  if (e) {
    out.push(
      "### Large exports (medians of the runs, each in a fresh child)",
      "",
      `Idle node child peak RSS ${fmt(Math.round(e.idleMaxRssKB / 1024))} MiB; with the normaliser modules imported ${fmt(Math.round(e.loadedMaxRssKB / 1024))} MiB.`,
      "",
      "| Rows | Shape | File | Normalise | Summarise | Rows/s | Peak RSS | Peak RSS / file | (Peak - idle) / file |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const c of e.cases) out.push(`| ${c.sizeLabel} | ${c.shapeLabel} | ${c.fileMB} MB | ${fmt(c.normaliseMs)} ms | ${c.summariseMs} ms | ${fmt(c.rowsPerSecond)} | ${c.peakRssMB} MB | ${c.peakRssToFile}x | ${c.peakOverIdleToFile}x |`);
    out.push("");
  }
  const h = results.sections.http;
  if (h) {
    out.push(`### HTTP (${h.clients} clients x ${h.callsPerClient} calls, ${h.runs} runs; the client's limiter allows ${h.clientLimitPerSecond} req/s)`, "", "| Server | calls/s | p50 | p99 | errors | sandbox answers |", "| --- | --- | --- | --- | --- | --- |");
    for (const s of [h.builtIn, h.watched, h.own, h.ping]) {
      if (!s) continue;
      out.push(`| ${s.label} | ${s.throughput} | ${s.p50} ms | ${s.p99} ms | ${s.errors} of ${s.calls} | ${s.sandboxStatuses ? JSON.stringify(s.sandboxStatuses) : ""} |`);
    }
    out.push("");
  }
  const r = results.sections.httpReplicas;
  if (r) {
    out.push(
      `### HTTP on Postgres (${r.clients} clients x ${r.callsPerClient} calls, ${r.runs} runs, protocol ${r.protocol}; each process's limiter allows ${r.clientLimitPerSecondPerProcess} req/s)`,
      "",
      "| Server | calls/s | p50 | p99 | errors | requests per replica | sandbox answers |",
      "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const s of [r.single, r.two]) {
      if (!s) continue;
      out.push(`| ${s.label} | ${s.throughput} | ${s.p50} ms | ${s.p99} ms | ${s.errors} of ${s.calls} | ${s.servedPerReplica ? s.servedPerReplica.join(" / ") : ""} | ${s.sandboxStatuses ? JSON.stringify(s.sandboxStatuses) : ""} |`);
    }
    out.push("");
  }
  const o = results.sections.oauth;
  if (o) {
    out.push(
      `### Sign-in (${o.runs} start runs; per call ${o.perCall.static.calls} pings per credential, taking turns, after ${o.callsPerBlock} warm-up rounds)`,
      "",
      "| Measure | Static token | JWT (jose) | Opaque (introspected, then remembered) |",
      "| --- | --- | --- | --- |",
      `| spawn to first tools/list | ${o.start.staticMs} ms | ${o.start.oauthMs} ms | |`,
      `| ping p50 | ${o.perCall.static.p50} ms | ${o.perCall.jwt.p50} ms | ${o.perCall.opaque.p50} ms |`,
      `| ping p99 | ${o.perCall.static.p99} ms | ${o.perCall.jwt.p99} ms | ${o.perCall.opaque.p99} ms |`,
      `| one check in process | | ${o.inProcess.microsecondsPerCheck} µs | |`,
      "",
    );
  }
  return out.join("\n");
}

function markdown() {
  const m = results.machine;
  return [
    "# clari-mcp benchmark results",
    "",
    ...(SMOKE ? ["**Smoke run** (CLARI_BENCH_SMOKE=1): every section at a tiny size; it shows each figure is still produced, and its timings mean nothing.", ""] : []),
    ...(results.partial ? [`Sections ${results.partial.updated.join(", ")} measured ${results.partial.at} on commit ${results.partial.commit} with \`--only\` (machine and timing below are that run's); the other sections are from the full run of ${results.partial.base.startedAt} on commit ${results.partial.base.commit}.`, ""] : []),
    `Run ${results.startedAt} on commit ${results.source.commit}${results.source.uncommittedSrcFiles ? ` (+${results.source.uncommittedSrcFiles} uncommitted files under src/)` : ""}, ${results.complete ? "complete" : "INCOMPLETE"}, wall time ${results.wallSeconds} s (the build before it, in ${"`npm run bench`"}, is not counted).`,
    `Machine: Node ${m.node}, ${m.cpus} x ${m.cpuModel}, ${m.memoryGB} GB RAM, ${m.platform}; 1-min load average ${m.loadAverageAtStart} at start, ${m.loadAverageAtEnd} at end.`,
    "Every timing is a median over several runs; each baseline was measured in the same run. See bench/README.md for what each figure means.",
    "",
    table(),
    "",
    results.errors.length ? `Errors:\n\n${results.errors.map((e) => `- ${e.section}: ${e.message}`).join("\n")}\n` : "",
    "## Catalogue per tool",
    "",
    catalogueTable(),
    "",
    detailTables(),
  ].join("\n");
}

/**
 * With --only, the sections not run keep their last results (and figures, in section order); the
 * header says which sections this run updated, when and on which commit.
 */
function keepOtherSections() {
  const file = path.join(OUT_DIR, "results.json");
  if (!only || !existsSync(file)) return;
  let previous;
  try {
    previous = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return;
  }
  const ran = new Set(SECTIONS.filter((s) => only.has(s.key)).map((s) => s.key));
  const newIds = new Set(results.figures.map((f) => f.id));
  // Figures of runs before sections were recorded carry no section: kept unless measured again.
  const kept = (previous.figures ?? []).filter((f) => !(f.section && ran.has(f.section)) && !newIds.has(f.id));
  const figures = kept.filter((f) => !f.section);
  for (const section of SECTIONS) figures.push(...(ran.has(section.key) ? results.figures : kept).filter((f) => f.section === section.key));
  results.figures = figures;
  for (const [key, details] of Object.entries(previous.sections ?? {})) if (!ran.has(key)) results.sections[key] = details;
  const base = previous.partial?.base ?? { startedAt: previous.startedAt, commit: previous.source?.commit, machine: previous.machine };
  results.partial = { updated: [...ran], at: results.startedAt, commit: results.source.commit, base };
}

function write() {
  results.machine.loadAverageAtEnd = round(os.loadavg()[0], 2);
  results.wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(path.join(OUT_DIR, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(OUT_DIR, "RESULTS.md"), `${markdown()}\n`);
}

const watchdog = setTimeout(() => {
  results.errors.push({ section: "watchdog", message: `stopped after ${WATCHDOG_MS / 1000} s` });
  write();
  killChildren();
  process.stdout.write(`${table()}\n\nWATCHDOG: the run exceeded ${WATCHDOG_MS / 1000} s; partial results written.\n`);
  process.exit(1);
}, WATCHDOG_MS);

for (const section of SECTIONS) {
  if (only && !only.has(section.key)) continue;
  const t0 = Date.now();
  log(`${section.title} ...`);
  try {
    const { run } = await import(section.module);
    const { figures, details } = await run();
    results.sections[section.key] = details;
    results.figures.push(...figures.map((f) => ({ ...f, section: section.key })));
  } catch (error) {
    log(`${section.title} FAILED: ${error?.stack ?? error}`);
    results.errors.push({ section: section.key, message: String(error?.message ?? error) });
  }
  log(`${section.title} took ${Math.round((Date.now() - t0) / 1000)} s (load average ${round(os.loadavg()[0], 2)})`);
}
clearTimeout(watchdog);
results.complete = results.errors.length === 0;
keepOtherSections();
write();
process.stdout.write(`\n${table()}\n\nWall time ${results.wallSeconds} s. Written ${path.join(OUT_DIR, "results.json")} and RESULTS.md beside it.\n`);
killChildren();
process.exit(results.errors.length ? 1 : 0);
