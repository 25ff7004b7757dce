/**
 * 6. Streamable HTTP: C concurrent SDK clients (StreamableHTTPClientTransport), each making M
 * sequential `clari_get_limits` calls, against the built binary in HTTP mode. Throughput, p50/p99
 * latency and errors, median over several runs (fresh clients each run, same server).
 *
 * Two servers:
 *  - `--sandbox`: the binary's own simulated Clari (100 req/s per apikey, like Clari);
 *  - pointed at a sandbox started here with a very high rate limit (CLARI_BASE_URL), so only
 *    the client's own limiter (100 requests per rolling 1.05 s, src/client/rate-limiter.ts) is left.
 * And, to show what the HTTP layer does without any Clari call, the same load of MCP `ping`s.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startSandbox } from "../dist/sandbox/index.js";
import { CLI, ROOT, TMP, cleanEnv, figure, log, median, nowMs, percentile, round, sized, sleep, startHttpBinary, track, withTimeout } from "./lib.mjs";

/** The client's own limiter, per server process: 100 requests per rolling 1.05 s. */
export const CLIENT_LIMIT_PER_S = 100 / 1.05;

/** One run: `clients` fresh SDK clients connect, then each makes `calls` sequential calls (op "ping" or clari_get_limits). */
export async function loadRun(url, { clients, calls, op }) {
  const sessions = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new Client({ name: "bench-http", version: "1.0.0" });
      await withTimeout(client.connect(new StreamableHTTPClientTransport(new URL(url))), 20_000, "HTTP connect");
      return client;
    }),
  );
  const latencies = [];
  let errors = 0;
  const errorSamples = [];
  const t0 = nowMs();
  await Promise.all(
    sessions.map(async (client) => {
      for (let i = 0; i < calls; i++) {
        const t = nowMs();
        try {
          if (op === "ping") await client.ping({ timeout: 30_000 });
          else {
            const r = await client.callTool({ name: "clari_get_limits", arguments: {} }, { timeout: 30_000 });
            if (r.isError) throw new Error(r.content?.[0]?.text ?? "isError");
          }
          latencies.push(nowMs() - t);
        } catch (error) {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(String(error?.message ?? error).slice(0, 300));
        }
      }
    }),
  );
  const seconds = (nowMs() - t0) / 1000;
  await Promise.all(sessions.map((c) => withTimeout(c.close(), 5000, "HTTP close").catch(() => undefined)));
  return {
    calls: clients * calls,
    errors,
    errorSamples,
    seconds: round(seconds, 3),
    throughput: round((clients * calls - errors) / seconds, 1),
    p50: round(percentile(latencies, 50), 2),
    p99: round(percentile(latencies, 99), 2),
    max: round(Math.max(...latencies), 1),
  };
}

export function summarise(label, runs) {
  const m = (k) => round(median(runs.map((r) => r[k])), 2);
  return {
    label,
    runs,
    throughput: m("throughput"),
    p50: m("p50"),
    p99: m("p99"),
    seconds: m("seconds"),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    calls: runs.reduce((a, r) => a + r.calls, 0),
  };
}

/** `runs` load runs against server.url, then server.stop(); the summary of the runs. */
export async function scenario(label, server, options, runs) {
  const results = [];
  try {
    for (let r = 0; r < runs; r++) {
      results.push(await loadRun(server.url, options));
      await sleep(1100); // let the rolling rate-limit windows empty between runs
    }
  } finally {
    await server.stop();
  }
  const s = summarise(label, results);
  log(`http ${label}: ${s.throughput} calls/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.errors} errors of ${s.calls}`);
  return s;
}

/** `clari-mcp sandbox --port 0` in its own process; statuses counted from its request log. */
async function startStandaloneSandbox() {
  const child = track(spawn(process.execPath, [CLI, "sandbox", "--port", "0"], { env: cleanEnv(), cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  const statuses = {};
  let partial = "";
  child.stderr.on("data", (chunk) => {
    const text = partial + chunk.toString();
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (stderr.length < 10_000) stderr += `${line}\n`;
      const m = /info: [A-Z]+ \S+ (\d{3}|aborted|reset) /.exec(line);
      if (m) statuses[m[1]] = (statuses[m[1]] ?? 0) + 1;
    }
  });
  const deadline = Date.now() + 15_000;
  let match;
  while (!(match = /listening on (http:\/\/\S+)/.exec(stderr))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`sandbox did not start: ${stderr}`);
    }
    await sleep(20);
  }
  return {
    v4Url: `${match[1]}/v4`,
    v2Url: `${match[1]}/v2`,
    statuses: () => ({ ...statuses }),
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** A sandbox started here, counting the statuses it answers (429s included). */
async function ownSandbox(rateLimitPerSecond) {
  const statuses = {};
  const sandbox = await startSandbox({
    rateLimitPerSecond,
    monthlyQuota: 100_000,
    log: (line) => {
      const status = line.split(" ")[2];
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
  });
  const env = cleanEnv({ CLARI_API_KEY: "sandbox", CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url });
  return { sandbox, statuses, env, args: ["--cache-dir", path.join(TMP, "cache-http")] };
}

export async function run({ clients = sized(50, 3), calls = sized(20, 3), runs = sized(3, 1) } = {}) {
  const options = { clients, calls };
  const builtIn = await scenario("--sandbox (its sandbox allows 100 req/s)", await startHttpBinary(["--sandbox", "--cache-dir", path.join(TMP, "cache-http-sandbox")]), { ...options, op: "tool" }, runs);

  // The same load against Clari's 100 req/s limit in a separate process (`clari-mcp sandbox`,
  // default limits), whose request log shows every status it answered, 429s included.
  const standalone = await startStandaloneSandbox();
  let watched;
  try {
    const env = cleanEnv({ CLARI_API_KEY: "sandbox", CLARI_BASE_URL: standalone.v4Url, CLARI_INGEST_BASE_URL: standalone.v2Url });
    watched = await scenario("separate sandbox process at 100 req/s", await startHttpBinary(["--cache-dir", path.join(TMP, "cache-http")], env), { ...options, op: "tool" }, runs);
    watched.sandboxStatuses = standalone.statuses();
  } finally {
    await standalone.stop();
  }

  const open = await ownSandbox(1_000_000);
  let own;
  let ping;
  try {
    own = await scenario("own sandbox, no server limit", await startHttpBinary(open.args, open.env), { ...options, op: "tool" }, runs);
    own.sandboxStatuses = { ...open.statuses };
    ping = await scenario("MCP ping only (no Clari call)", await startHttpBinary(open.args, open.env), { ...options, op: "ping" }, runs);
  } finally {
    await open.sandbox.close();
  }

  const bound = (s) => (s.throughput >= CLIENT_LIMIT_PER_S * 0.85 && s.throughput <= CLIENT_LIMIT_PER_S * 1.15 ? "client limiter, 100 req / 1.05 s" : "not the client limiter");
  const n429 = watched.sandboxStatuses["429"] ?? 0;
  const details = {
    clients,
    callsPerClient: calls,
    runs,
    clientLimitPerSecond: round(CLIENT_LIMIT_PER_S, 1),
    builtIn,
    watched,
    own,
    ping,
    boundBy: { builtIn: bound(builtIn), watched: bound(watched), own: bound(own) },
  };
  const figures = [
    figure("http_sandbox_throughput", `HTTP ${clients} clients x ${calls} clari_get_limits, --sandbox: calls/s (bound: ${details.boundBy.builtIn})`, builtIn.throughput, "calls/s", "", null),
    figure("http_sandbox_latency", "HTTP --sandbox: p50 / p99 latency", `${builtIn.p50} / ${builtIn.p99}`, "ms", "", null),
    figure("http_sandbox_errors", `HTTP --sandbox: errors (all ${runs} runs)`, `${builtIn.errors} of ${builtIn.calls}`, "", "0", builtIn.errors === 0),
    figure("http_watched_429", `HTTP, separate sandbox process at 100 req/s: 429s it answered (the client retries them); errors`, `${n429} 429s of ${Object.values(watched.sandboxStatuses).reduce((a, b) => a + b, 0)} requests; ${watched.errors} errors`, "", "0 errors", watched.errors === 0),
    figure("http_watched_latency", `HTTP, separate sandbox process at 100 req/s: calls/s; p50 / p99 latency`, `${watched.throughput}; ${watched.p50} / ${watched.p99} ms`, "", "", null),
    figure("http_own_throughput", `HTTP, own sandbox without limit: calls/s (bound: ${details.boundBy.own})`, own.throughput, "calls/s", "", null),
    figure("http_own_latency", "HTTP, own sandbox without limit: p50 / p99 latency", `${own.p50} / ${own.p99}`, "ms", "", null),
    figure("http_own_errors", `HTTP, own sandbox without limit: errors (all ${runs} runs)`, `${own.errors} of ${own.calls}`, "", "0", own.errors === 0),
    figure("http_ping_throughput", `HTTP ${clients} clients x ${calls} MCP pings (no Clari call): calls/s; p50 / p99`, `${ping.throughput}; ${ping.p50} / ${ping.p99} ms`, "", "", null),
  ];
  return { figures, details };
}
