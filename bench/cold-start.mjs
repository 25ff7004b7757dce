/**
 * 1. Cold start: time from spawning the server (SDK StdioClientTransport) to the tools/list
 * answer reaching the client transport (and, separately, to listTools() resolving, which adds the
 * SDK Client's own parsing and outputSchema compilation), for `clari-mcp --sandbox`, `clari-mcp`
 * with a key (no sandbox), and a bare SDK server with one tool (bench/baseline-server.mjs). Runs are interleaved so drift hits all alike;
 * the first round is a discarded warm-up (disk cache).
 */
import path from "node:path";
import { BENCH_DIR, CLI, TMP, cleanEnv, connectStdio, figure, log, median, nowMs, round, sized } from "./lib.mjs";

const VARIANTS = [
  { key: "baseline", label: "bare SDK server, 1 tool", args: [path.join(BENCH_DIR, "baseline-server.mjs")], env: cleanEnv() },
  { key: "sandbox", label: "clari-mcp --sandbox", args: [CLI, "--sandbox", "--cache-dir", path.join(TMP, "cache-cold-start-sandbox")], env: cleanEnv() },
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
  // Stamp the moment the tools/list answer reaches the client transport, before the SDK Client
  // parses it and compiles every tool's outputSchema for later validation (client-side work).
  let arrived;
  const deliver = session.transport.onmessage;
  session.transport.onmessage = (message, extra) => {
    if (arrived === undefined && message?.result?.tools) arrived = nowMs();
    deliver?.(message, extra);
  };
  const { tools } = await session.client.listTools();
  const t2 = nowMs();
  await session.close();
  return { connectMs: t1 - t0, answerMs: arrived - t0, clientProcessingMs: t2 - arrived, totalMs: t2 - t0, tools: tools.length };
}

export async function run({ runs = sized(7, 1) } = {}) {
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
      medianAnswerMs: round(median(s.map((x) => x.answerMs)), 1),
      medianConnectMs: round(median(s.map((x) => x.connectMs)), 1),
      medianClientProcessingMs: round(median(s.map((x) => x.clientProcessingMs)), 1),
      medianTotalMs: round(median(s.map((x) => x.totalMs)), 1),
      samplesAnswerMs: s.map((x) => round(x.answerMs, 1)),
      samplesTotalMs: s.map((x) => round(x.totalMs, 1)),
    };
    log(`cold start ${variant.label}: answer at ${summary[variant.key].medianAnswerMs} ms, ${summary[variant.key].medianTotalMs} ms with the SDK client's processing`);
  }
  const b = summary.baseline;
  const ratio = summary.sandbox.medianAnswerMs / b.medianAnswerMs;
  const keyedRatio = summary.keyed.medianAnswerMs / b.medianAnswerMs;
  const totalRatio = summary.sandbox.medianTotalMs / b.medianTotalMs;
  const figures = [
    figure("cold_start_baseline", "Cold start: spawn to tools/list answer, bare SDK server (1 tool)", b.medianAnswerMs, "ms", "baseline", null),
    figure("cold_start_sandbox", `Cold start: spawn to tools/list answer, clari-mcp --sandbox (${summary.sandbox.tools} tools)`, summary.sandbox.medianAnswerMs, "ms", "", null),
    figure("cold_start_ratio", "Cold start ratio, --sandbox / bare", round(ratio, 2), "x", "<= 1.1x", ratio <= 1.1),
    figure("cold_start_keyed", `Cold start: spawn to tools/list answer, clari-mcp with a key, no sandbox (${summary.keyed.tools} tools)`, summary.keyed.medianAnswerMs, "ms", "", null),
    figure("cold_start_keyed_ratio", "Cold start ratio, keyed (no sandbox) / bare", round(keyedRatio, 2), "x", "<= 1.1x", keyedRatio <= 1.1),
    figure(
      "cold_start_client_side",
      "Cold start incl. the SDK Client's processing of the list (parse + compile outputSchemas): --sandbox / bare",
      `${summary.sandbox.medianTotalMs} / ${b.medianTotalMs} ms (${round(totalRatio, 2)}x)`,
      "",
      "",
      null,
    ),
  ];
  return { figures, details: { runs, variants: summary } };
}
