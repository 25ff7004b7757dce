/**
 * The benchmarks cannot rot unnoticed: `node bench/run.mjs` runs every section at a tiny size
 * (CLARI_BENCH_SMOKE=1, bench/lib.mjs) against the built code, writing to a temporary folder, and
 * each section must report every figure it reports at full size, each a number (or, for the
 * compound figures, text made of numbers), and the numeric details behind them. No timing is
 * asserted: a smoke run's timings mean nothing. Sections that need Postgres start their own
 * throwaway cluster (scripts/postgres-cluster.mjs), as in a full run.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The whole smoke run takes about a minute and a half on 2 busy cores; its own watchdog stops it at 7 minutes. */
const RUN_LIMIT_MS = 8 * 60_000;

interface Figure {
  section: string;
  id: string;
  value: unknown;
}
interface Results {
  smoke: boolean;
  complete: boolean;
  errors: { section: string; message: string }[];
  figures: Figure[];
  sections: Record<string, Record<string, unknown>>;
}

/**
 * Per section: the figures a full run reports (a pattern with a count where the id names the
 * size, which a smoke run shrinks) and the details that must be numbers (paths; `*` for every
 * element of an array, which must not be empty).
 */
const SECTIONS: Record<string, { figures: (string | [RegExp, number])[]; numbers: string[] }> = {
  coldStart: {
    figures: ["cold_start_baseline", "cold_start_sandbox", "cold_start_ratio", "cold_start_keyed", "cold_start_keyed_ratio", "cold_start_client_side"],
    numbers: ["baseline", "sandbox", "keyed"].flatMap((v) => ["medianAnswerMs", "medianConnectMs", "medianClientProcessingMs", "medianTotalMs", "tools"].map((k) => `variants.${v}.${k}`)),
  },
  catalogue: {
    figures: ["catalogue_default_bytes", "catalogue_default_tokens", "catalogue_all_bytes", "catalogue_all_tokens"],
    numbers: ["default", "all"].flatMap((c) => [`${c}.toolCount`, `${c}.total.bytes`, `${c}.total.tokens`, `${c}.perTool.*.bytes`, `${c}.perTool.*.description`, `${c}.perTool.*.inputSchema`, `${c}.perTool.*.outputSchema`, `${c}.perTool.*.annotations`, `${c}.perTool.*.meta`]),
  },
  overhead: {
    figures: ["call_tool_p50", "call_direct_p50", "call_overhead_p50", "call_overhead_p99", "call_bare_overhead_p50", "call_burst"],
    numbers: ["toolP50Ms", "toolP99Ms", "directP50Ms", "directP99Ms", "overheadP50Ms", "overheadP99Ms", "bareP50Ms", "bareOverheadP50Ms", "burst.p50Ms", "burst.p99Ms", "burst.maxMs", "burst.callsPerSecond", "sandboxRequests"],
  },
  polling: {
    figures: [
      [/^polling_delay_\d+$/, 3],
      [/^polling_requests_\d+$/, 3],
    ],
    numbers: ["maxDelayMs", "maxRequestsPerSecond", ...["medianDelayMs", "maxDelayMs", "medianPollLagMs", "medianAfterLastPollMs", "medianStatusRequests", "medianRequestsPerSecond"].map((k) => `perBase.*.${k}`), "perBase.*.runs.*.sandboxResultsMs"],
  },
  largeExports: {
    figures: ["rss_idle", [/^export_tables_\w+$/, 2], [/^export_flat_\w+$/, 2], [/^export_csv_\w+$/, 2]],
    numbers: ["idleMaxRssKB", "loadedMaxRssKB", ...["rows", "fileBytes", "normaliseMs", "summariseMs", "rowsPerSecond", "peakRssMB", "peakRssToFile", "peakOverIdleToFile"].map((k) => `cases.*.${k}`)],
  },
  http: {
    figures: ["http_sandbox_throughput", "http_sandbox_latency", "http_sandbox_errors", "http_watched_429", "http_watched_latency", "http_own_throughput", "http_own_latency", "http_own_errors", "http_ping_throughput"],
    numbers: ["builtIn", "watched", "own", "ping"].flatMap((s) => ["throughput", "p50", "p99", "errors", "calls"].map((k) => `${s}.${k}`)),
  },
  httpReplicas: {
    figures: ["http_pg_single_throughput", "http_pg_single_latency", "http_pg_single_errors", "http_pg_replicas_throughput", "http_pg_replicas_latency", "http_pg_replicas_errors"],
    numbers: [...["single", "two"].flatMap((s) => ["throughput", "p50", "p99", "errors", "calls"].map((k) => `${s}.${k}`)), "two.servedPerReplica.*"],
  },
  query: {
    figures: ["query_export_ms", "query_first_ms", "query_first_answer_ms", "query_first_vs_bare", "query_first_vs_repeat", "query_server_cpu", "query_repeat_p50", "query_peak_rss", "query_worker_peak_rss"],
    numbers: ["exportMs", "firstQueryMs", "firstAnswerMs", "bareClientMs", "bareBodyMs", "serverCpuMs", "repeatedP50Ms", "peakRssMB", "workerPeakRssMB", "answerRows", "users"].map((k) => `now.${k}`),
  },
  queryLarge: {
    figures: ["query_5m_first_ms", "query_5m_peak_rss", "query_5m_worker_peak_rss", "query_5m_others_wait", "query_5m_restart_ms"],
    numbers: ["memoryCapMB", ...["rows", "fileBytes", "firstQueryMs", "jsonParseFloorMs", "peakRssMB", "workerPeakRssMB"].map((k) => `sizes.*.${k}`), "sizes.0.restartFirstQueryMs"],
  },
  oauth: {
    figures: ["oauth_start", "oauth_start_ratio", "oauth_call_ratio", "oauth_call_opaque_ratio", "oauth_check_us"],
    numbers: ["start.staticMs", "start.oauthMs", ...["static", "jwt", "opaque"].flatMap((k) => [`perCall.${k}.p50`, `perCall.${k}.p99`, `perCall.${k}.calls`]), "inProcess.microsecondsPerCheck"],
  },
};

/** The values at a dotted path, `*` fanning out over an array (an empty or missing array yields one undefined). */
function valuesAt(value: unknown, keys: string[]): unknown[] {
  if (keys.length === 0) return [value];
  const [key, ...rest] = keys as [string, ...string[]];
  if (key === "*") return Array.isArray(value) && value.length > 0 ? value.flatMap((v) => valuesAt(v, rest)) : [undefined];
  return valuesAt(value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined, rest);
}

/** A figure is a finite number, or text such as "12.3 / 45.6" or "0 of 9" whose every number is one. */
function isNumericFigure(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "string" || !/\d/.test(value)) return false;
  return !/NaN|undefined|null|Infinity|\[object/.test(value);
}

const hashOf = (file: string): string | undefined => (existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined);
const KEPT = ["results.json", "RESULTS.md", "query-baseline.json"].map((f) => path.join(ROOT, "bench", f));

let dir: string;
let exit: { code: number | null; signal: string | null; stderr: string };
let results: Results;
let keptBefore: (string | undefined)[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "clari-bench-smoke-"));
  keptBefore = KEPT.map(hashOf);
  exit = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bench", "run.mjs"), "--out", dir], {
      cwd: ROOT,
      env: { ...process.env, CLARI_BENCH_SMOKE: "1", CLARI_BENCH_TMP: path.join(dir, "tmp") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the smoke run did not finish within ${RUN_LIMIT_MS / 1000} s:\n${stderr}`));
    }, RUN_LIMIT_MS);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
  const file = path.join(dir, "results.json");
  if (!existsSync(file)) throw new Error(`the smoke run wrote no results (exit ${exit.code ?? exit.signal}):\n${exit.stderr}`);
  results = JSON.parse(readFileSync(file, "utf8")) as Results;
}, RUN_LIMIT_MS + 30_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run bench, every section at a tiny size (CLARI_BENCH_SMOKE=1)", () => {
  it("runs every section to the end and exits 0, writing to the folder given with --out and leaving bench/'s kept results alone", () => {
    expect(results.errors, exit.stderr).toEqual([]);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(results).toMatchObject({ smoke: true, complete: true });
    expect(Object.keys(results.sections).sort()).toEqual(Object.keys(SECTIONS).sort());
    expect(readFileSync(path.join(dir, "RESULTS.md"), "utf8")).toContain("Smoke run");
    expect(KEPT.map(hashOf)).toEqual(keptBefore);
  });

  it.each(Object.entries(SECTIONS))("%s reports every figure, each a number", (section, expected) => {
    expect(results.errors.filter((e) => e.section === section)).toEqual([]);
    const figures = results.figures.filter((f) => f.section === section);
    const ids = figures.map((f) => f.id);
    for (const want of expected.figures) {
      if (typeof want === "string") expect(ids, want).toContain(want);
      else expect(ids.filter((id) => want[0].test(id)), String(want[0])).toHaveLength(want[1]);
    }
    expect(figures).toHaveLength(expected.figures.reduce((n, want) => n + (typeof want === "string" ? 1 : want[1]), 0));
    for (const f of figures) expect(isNumericFigure(f.value), `${f.id} = ${JSON.stringify(f.value)}`).toBe(true);
    const details = results.sections[section];
    for (const at of expected.numbers) {
      for (const value of valuesAt(details, at.split("."))) {
        expect(typeof value === "number" && Number.isFinite(value), `${section}.${at} = ${JSON.stringify(value)}`).toBe(true);
      }
    }
  });
});
