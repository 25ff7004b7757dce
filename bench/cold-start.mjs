/**
 * 1. Cold start: time from spawning the server (SDK StdioClientTransport) to the tools/list
 * answer, for `clari-mcp --sandbox`, `clari-mcp` with a key (no sandbox), and a bare SDK server
 * with one tool (bench/baseline-server.mjs). Runs are interleaved so drift hits all alike;
 * the first round is a discarded warm-up (disk cache).
 */
import path from "node:path";
import { BENCH_DIR, CLI, TMP, cleanEnv, connectStdio, figure, log, median, nowMs, round } from "./lib.mjs";

const VARIANTS = [
  { key: "baseline", label: "bare SDK server, 1 tool", args: [path.join(BENCH_DIR, "baseline-server.mjs")], env: cleanEnv() },
  { key: "sandbox", label: "clari-mcp --sandbox", args: [CLI, "--sandbox"], env: cleanEnv() },
  {
    key: "keyed",
    label: "clari-mcp (CLARI_API_KEY set, no sandbox)",
    args: [CLI, "--cache-dir", path.join(TMP, "cache-cold-start")],
    env: cleanEnv({ CLARI_API_KEY: "bench-not-a-real-key" }),
  },
];

async function once(variant) {
  const t0 = nowMs();
  const session = await connectStdio({ args: variant.args, env: variant.env });
  const t1 = nowMs();
  const { tools } = await session.client.listTools();
  const t2 = nowMs();
  await session.close();
  return { connectMs: t1 - t0, toolsListMs: t2 - t1, totalMs: t2 - t0, tools: tools.length };
}

export async function run({ runs = 7 } = {}) {
  const samples = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
  for (let round_ = 0; round_ <= runs; round_++) {
    for (const variant of VARIANTS) {
      const r = await once(variant);
      if (round_ > 0) samples[variant.key].push(r);
    }
  }
  const summary = {};
  for (const variant of VARIANTS) {
    const s = samples[variant.key];
    summary[variant.key] = {
      label: variant.label,
      runs: s.length,
      tools: s[0]?.tools,
      medianTotalMs: round(median(s.map((x) => x.totalMs)), 1),
      medianConnectMs: round(median(s.map((x) => x.connectMs)), 1),
      medianToolsListMs: round(median(s.map((x) => x.toolsListMs)), 1),
      samplesTotalMs: s.map((x) => round(x.totalMs, 1)),
    };
    log(`cold start ${variant.label}: median ${summary[variant.key].medianTotalMs} ms`);
  }
  const ratio = summary.sandbox.medianTotalMs / summary.baseline.medianTotalMs;
  const keyedRatio = summary.keyed.medianTotalMs / summary.baseline.medianTotalMs;
  const figures = [
    figure("cold_start_baseline", "Cold start to tools/list, bare SDK server (1 tool)", summary.baseline.medianTotalMs, "ms", "baseline", null),
    figure("cold_start_sandbox", "Cold start to tools/list, clari-mcp --sandbox (18 tools)", summary.sandbox.medianTotalMs, "ms", "", null),
    figure("cold_start_ratio", "Cold start ratio, --sandbox / bare", round(ratio, 2), "x", "<= 1.3x", ratio <= 1.3),
    figure("cold_start_keyed", "Cold start to tools/list, clari-mcp with key, no sandbox (16 tools)", summary.keyed.medianTotalMs, "ms", "", null),
    figure("cold_start_keyed_ratio", "Cold start ratio, keyed (no sandbox) / bare", round(keyedRatio, 2), "x", "<= 1.3x", keyedRatio <= 1.3),
  ];
  return { figures, details: { runs, variants: summary } };
}
