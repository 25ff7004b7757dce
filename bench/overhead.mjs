/**
 * 3. Per-call overhead: `clari_get_limits` through the built binary over stdio, against the same
 * GET /v4/admin/limits made directly with undici, both against one sandbox started here (the
 * binary is pointed at it with CLARI_BASE_URL), and against a bare SDK v2 server whose one tool
 * makes the same GET (baseline-fetch-server.mjs: the SDK's and the transport's own share). The
 * three calls rotate, paced to one rotation every PACE_MS so the client's own 100 req/s limiter
 * never engages; several rounds of N, p50/p99 per round, medians over rounds. Each call starts
 * after the same pause (a third of PACE_MS): a call made right after another runs on a warm CPU
 * and takes about half as long as one made after a pause (0.63 vs 1.16 ms for the same GET
 * here), so a direct call made straight after the tool call used to make the overhead look
 * ~0.5 ms larger than it is. A separate unpaced burst shows what the limiter does to
 * back-to-back calls.
 */
import path from "node:path";
import { Agent, request } from "undici";
import { startSandbox } from "../dist/sandbox/index.js";
import { BENCH_DIR, CLI, TMP, cleanEnv, connectStdio, figure, log, median, nowMs, percentile, round, sized, sleep } from "./lib.mjs";

const PACE_MS = 12; // 83 tool calls/s: under the client's 100 per rolling 1.05 s

export async function run({ n = sized(300, 10), rounds = sized(3, 1), warmup = sized(50, 2) } = {}) {
  const sandbox = await startSandbox({ rateLimitPerSecond: 100_000, monthlyQuota: 100_000 });
  const env = cleanEnv({ CLARI_API_KEY: "sandbox", CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url });
  const session = await connectStdio({ args: [CLI, "--cache-dir", path.join(TMP, "cache-overhead")], env });
  // The SDK's own share: a bare SDK v2 server whose one tool makes the same GET.
  const bare = await connectStdio({ args: [path.join(BENCH_DIR, "baseline-fetch-server.mjs")], env });
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 4 });
  const limitsUrl = `${sandbox.v4Url}/admin/limits`;

  const toolCall = async () => {
    const t = nowMs();
    const r = await session.client.callTool({ name: "clari_get_limits", arguments: {} });
    const ms = nowMs() - t;
    if (r.isError) throw new Error(`clari_get_limits failed: ${JSON.stringify(r.content)}`);
    return ms;
  };
  const bareCall = async () => {
    const t = nowMs();
    const r = await bare.client.callTool({ name: "limits", arguments: {} });
    const ms = nowMs() - t;
    if (r.isError) throw new Error(`the bare server's tool failed: ${JSON.stringify(r.content)}`);
    return ms;
  };
  const directCall = async () => {
    const t = nowMs();
    const r = await request(limitsUrl, { dispatcher: agent, headers: { apikey: "sandbox", accept: "application/json" } });
    await r.body.json();
    const ms = nowMs() - t;
    if (r.statusCode !== 200) throw new Error(`direct GET /admin/limits answered ${r.statusCode}`);
    return ms;
  };

  const paced = async (count) => {
    const tool = [];
    const baseline = [];
    const direct = [];
    let next = nowMs();
    const pause = async () => {
      next += PACE_MS / 3;
      const wait = next - nowMs();
      if (wait > 0) await sleep(wait);
      else next = nowMs();
    };
    for (let i = 0; i < count; i++) {
      tool.push(await toolCall());
      await pause();
      baseline.push(await bareCall());
      await pause();
      direct.push(await directCall());
      await pause();
    }
    return { tool, baseline, direct };
  };

  try {
    await paced(warmup);
    const perRound = [];
    for (let r = 0; r < rounds; r++) {
      const { tool, baseline, direct } = await paced(n);
      perRound.push({
        toolP50: percentile(tool, 50),
        toolP99: percentile(tool, 99),
        bareP50: percentile(baseline, 50),
        directP50: percentile(direct, 50),
        directP99: percentile(direct, 99),
      });
    }
    // Back-to-back tool calls with no pacing: the client's limiter (100 per 1.05 s) decides.
    const burst = [];
    await sleep(1100);
    for (let r = 0; r < rounds; r++) {
      const times = [];
      const t0 = nowMs();
      for (let i = 0; i < n; i++) times.push(await toolCall());
      burst.push({ p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times), callsPerSecond: n / ((nowMs() - t0) / 1000) });
      await sleep(1100);
    }

    const m = (key) => round(median(perRound.map((x) => x[key])), 3);
    const details = {
      n,
      rounds,
      paceMs: PACE_MS,
      toolP50Ms: m("toolP50"),
      toolP99Ms: m("toolP99"),
      directP50Ms: m("directP50"),
      directP99Ms: m("directP99"),
      overheadP50Ms: round(m("toolP50") - m("directP50"), 3),
      overheadP99Ms: round(m("toolP99") - m("directP99"), 3),
      bareP50Ms: m("bareP50"),
      bareOverheadP50Ms: round(m("bareP50") - m("directP50"), 3),
      perRound: perRound.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v, 3)]))),
      burst: {
        p50Ms: round(median(burst.map((b) => b.p50)), 3),
        p99Ms: round(median(burst.map((b) => b.p99)), 3),
        maxMs: round(median(burst.map((b) => b.max)), 1),
        callsPerSecond: round(median(burst.map((b) => b.callsPerSecond)), 1),
        perRound: burst.map((b) => ({ p50: round(b.p50, 3), p99: round(b.p99, 3), max: round(b.max, 1), callsPerSecond: round(b.callsPerSecond, 1) })),
      },
      sandboxRequests: sandbox.stats().byRoute["GET /v4/admin/limits"],
    };
    log(`overhead: tool p50 ${details.toolP50Ms} ms, bare SDK v2 tool p50 ${details.bareP50Ms} ms, direct p50 ${details.directP50Ms} ms, overhead p50 ${details.overheadP50Ms} ms (bare server ${details.bareOverheadP50Ms} ms)`);
    const figures = [
      figure("call_tool_p50", `clari_get_limits over stdio: p50 / p99 (paced, N=${n})`, `${details.toolP50Ms} / ${details.toolP99Ms}`, "ms", "", null),
      figure("call_direct_p50", `Direct undici GET /admin/limits: p50 / p99 (N=${n})`, `${details.directP50Ms} / ${details.directP99Ms}`, "ms", "baseline", null),
      figure("call_overhead_p50", "Per-call overhead, p50 (tool - direct)", details.overheadP50Ms, "ms", "< 2 ms", details.overheadP50Ms < 2),
      figure("call_overhead_p99", "Per-call overhead, p99 (tool - direct)", details.overheadP99Ms, "ms", "", null),
      figure("call_bare_overhead_p50", "Per-call overhead of a bare SDK v2 server whose one tool makes the same GET, p50 (its tool - direct)", details.bareOverheadP50Ms, "ms", "reference", null),
      figure("call_burst", `Back-to-back tool calls (unpaced, N=${n}): p50 / p99 / max; calls/s`, `${details.burst.p50Ms} / ${details.burst.p99Ms} / ${details.burst.maxMs} ms; ${details.burst.callsPerSecond}/s`, "", "", null),
    ];
    return { figures, details };
  } finally {
    await session.close();
    await bare.close();
    await agent.close();
    await sandbox.close();
  }
}
