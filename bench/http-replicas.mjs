/**
 * 6b. Streamable HTTP on shared Postgres state: the load of http.mjs (C concurrent SDK clients,
 * StreamableHTTPClientTransport, each making M sequential `clari_get_limits` calls, 3 runs with
 * fresh clients) against
 *  - one process: `node dist/cli.js --transport http --port 0 --stateless --state <postgres url>`;
 *  - two such replicas on the same database behind scripts/round-robin-proxy.mjs, so consecutive
 *    requests of one client (initialize, initialized, each call) land on alternate replicas.
 * Both point (CLARI_BASE_URL) at one sandbox started here with no effective rate limit, so only
 * each process's own client limiter (100 requests per rolling 1.05 s) bounds the throughput: one
 * process ~95 calls/s, two replicas ~190. The Postgres cluster is a throwaway one started here
 * (scripts/postgres-cluster.mjs, the test suite's starter), each setup on a database of its own.
 *
 * The clients are the SDK Client's default, the 2025 era (initialize, protocol 2025-11-25), as in
 * http.mjs; with --stateless the server answers those statelessly, a server per request.
 */
import path from "node:path";
import { startSandbox } from "../dist/sandbox/index.js";
import { startPostgres } from "../scripts/postgres-cluster.mjs";
import { startRoundRobinProxy } from "../scripts/round-robin-proxy.mjs";
import { CLIENT_LIMIT_PER_S, scenario } from "./http.mjs";
import { TMP, cleanEnv, figure, round, sized, startHttpBinary } from "./lib.mjs";

const stateless = (stateUrl, name) => ["--stateless", "--state", stateUrl, "--cache-dir", path.join(TMP, `cache-replicas-${name}`)];

export async function run({ clients = sized(50, 3), calls = sized(20, 3), runs = sized(3, 1) } = {}) {
  const options = { clients, calls, op: "tool" };
  const statuses = {};
  const sandbox = await startSandbox({
    rateLimitPerSecond: 1_000_000,
    monthlyQuota: 100_000,
    log: (line) => {
      const status = line.split(" ")[2];
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
  });
  const env = cleanEnv({ CLARI_API_KEY: "sandbox", CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url });
  let postgres;
  try {
    postgres = await startPostgres();

    const singleState = await postgres.createDatabase("bench_single");
    const single = await scenario("one process, --stateless --state postgres", await startHttpBinary(stateless(singleState, "single"), env), options, runs);
    single.sandboxStatuses = { ...statuses };
    for (const key of Object.keys(statuses)) delete statuses[key];

    const sharedState = await postgres.createDatabase("bench_replicas");
    const replicas = await Promise.all(["a", "b"].map((name) => startHttpBinary(stateless(sharedState, name), env)));
    let proxy;
    try {
      proxy = await startRoundRobinProxy(replicas.map((r) => new URL(r.url).origin));
    } catch (error) {
      await Promise.all(replicas.map((r) => r.stop()));
      throw error;
    }
    const served = proxy.served;
    const behindProxy = {
      url: `${proxy.url}/mcp`,
      async stop() {
        await proxy.close();
        await Promise.all(replicas.map((r) => r.stop()));
      },
    };
    const two = await scenario("two replicas on one Postgres, round-robin proxy", behindProxy, options, runs);
    two.sandboxStatuses = { ...statuses };
    two.servedPerReplica = [...served];

    const bound = (s, processes) => {
      const limit = CLIENT_LIMIT_PER_S * processes;
      return s.throughput >= limit * 0.85 && s.throughput <= limit * 1.15 ? `client limiters, ${processes} x 100 req / 1.05 s` : "not the client limiters";
    };
    const details = {
      clients,
      callsPerClient: calls,
      runs,
      protocol: "2025-11-25 (SDK Client default, initialize; served statelessly)",
      clientLimitPerSecondPerProcess: round(CLIENT_LIMIT_PER_S, 1),
      single,
      two,
      boundBy: { single: bound(single, 1), two: bound(two, 2) },
    };
    const figures = [
      figure("http_pg_single_throughput", `HTTP ${clients} clients x ${calls} clari_get_limits, one process on Postgres (--stateless --state): calls/s (bound: ${details.boundBy.single})`, single.throughput, "calls/s", "", null),
      figure("http_pg_single_latency", "HTTP, one process on Postgres: p50 / p99 latency", `${single.p50} / ${single.p99}`, "ms", "", null),
      figure("http_pg_single_errors", `HTTP, one process on Postgres: errors (all ${runs} runs)`, `${single.errors} of ${single.calls}`, "", "0", single.errors === 0),
      figure("http_pg_replicas_throughput", `HTTP ${clients} clients x ${calls} clari_get_limits, two replicas on one Postgres behind the round-robin proxy: calls/s (bound: ${details.boundBy.two})`, two.throughput, "calls/s", "", null),
      figure("http_pg_replicas_latency", "HTTP, two replicas on Postgres: p50 / p99 latency", `${two.p50} / ${two.p99}`, "ms", "", null),
      figure("http_pg_replicas_errors", `HTTP, two replicas on Postgres: errors (all ${runs} runs; requests per replica ${two.servedPerReplica.join(" / ")})`, `${two.errors} of ${two.calls}`, "", "0", two.errors === 0),
    ];
    return { figures, details };
  } finally {
    await postgres?.stop();
    await sandbox.close();
  }
}
