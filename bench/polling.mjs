/**
 * 4. Polling: how soon `clari_export_forecast` returns after its job turns DONE, and how many
 * status requests it spends. The sandbox's job is DONE from startTime + jobDurationMs (the
 * endTime it reports; src/sandbox/jobs.ts), on the sandbox's clock, which is this process's
 * Date.now, so "returned - endTime" is measured on one clock.
 *
 * Each job gets its own sandbox (jobDurationMs is per sandbox) and its own in-process server
 * (createRuntime + createServer from dist/, exactly what the binary builds, over the SDK's
 * in-memory transport), so the status-request count per job is exact. Where DONE falls inside
 * the 1 s poll interval decides the delay, so every base duration runs with DONE at five phases
 * spread over the interval (base + 100, 300, 500, 700, 900 ms); all jobs run at once, the five
 * of one base started 150 ms apart so that no two finish together. The first job to finish in the
 * process pays for loading the export parsers (they load on first use), as a fresh binary does.
 */
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/client";
import { request } from "undici";
import { loadConfig } from "../dist/config.js";
import { createRuntime } from "../dist/deps.js";
import { silentLogger } from "../dist/logger.js";
import { startSandbox } from "../dist/sandbox/index.js";
import { createServer } from "../dist/server.js";
import { figure, log, median, round, sized, sleep, withTimeout } from "./lib.mjs";

const STATUS_ROUTE = "GET /v4/export/jobs/{jobId}";
const STAGGER_MS = 150;

async function oneJob(durationMs) {
  const statusTimes = [];
  let resultsServedMs = NaN;
  const sandbox = await startSandbox({
    jobDurationMs: durationMs,
    // One line per answered request ("GET /path 200 12ms"): keep when each status request was
    // answered, and how long the sandbox took to build and send the results file.
    log: (line) => {
      if (/^GET \/v4\/export\/jobs\/[^/\s]+ /.test(line)) statusTimes.push(Date.now());
      const served = /^GET \/v4\/export\/jobs\/[^/\s]+\/results \d+ (\d+)ms/.exec(line);
      if (served) resultsServedMs = Number(served[1]);
    },
  });
  const config = loadConfig(["--no-cache"], { CLARI_API_KEY: "sandbox", CLARI_BASE_URL: sandbox.v4Url, CLARI_INGEST_BASE_URL: sandbox.v2Url });
  const runtime = await createRuntime(config, silentLogger);
  const server = createServer(runtime.deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "bench-polling", version: "1.0.0" });
  await client.connect(clientSide);
  try {
    const calledAt = Date.now();
    const result = await withTimeout(
      client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", fresh: true, waitSeconds: 55 } }),
      70_000,
      "clari_export_forecast",
    );
    const returnedAt = Date.now();
    const lastPollAt = statusTimes.at(-1) ?? NaN;
    const statusRequests = sandbox.stats().byRoute[STATUS_ROUTE] ?? 0;
    const { jobId, outcome } = result.structuredContent ?? {};
    if (outcome !== "done") throw new Error(`export ended ${outcome}: ${JSON.stringify(result.content)}`);
    const view = await request(`${sandbox.v4Url}/export/jobs/${jobId}`, { headers: { apikey: "sandbox" } });
    const body = await view.body.json();
    const job = body.job ?? body;
    const doneAt = job.endTime;
    const callSeconds = (returnedAt - calledAt) / 1000;
    return {
      durationMs,
      jobId,
      delayMs: returnedAt - doneAt,
      statusRequests,
      callSeconds: round(callSeconds, 3),
      requestsPerSecond: round(statusRequests / callSeconds, 3),
      queuedAfterMs: job.startTime - calledAt,
      // From the status answer that said DONE to the tool's answer: download, store, summarise.
      afterLastPollMs: returnedAt - lastPollAt,
      // Of which the sandbox spent building and sending the file (a real Clari serves it ready).
      sandboxResultsMs: resultsServedMs,
      // From DONE to the status answer that saw it: the polling schedule's share of the delay.
      pollLagMs: lastPollAt - doneAt,
    };
  } finally {
    await client.close();
    await server.close();
    await runtime.close();
    await sandbox.close();
  }
}

// A smoke run keeps three bases (so three figures of each kind) of short jobs, at one phase.
export async function run({ bases = sized([2000, 5000, 12000], [1000, 1500, 2000]), phases = sized([100, 300, 500, 700, 900], [500]) } = {}) {
  // Jobs of one base duration that differ only in phase would all be seen DONE by the same poll
  // round and be downloaded and summarised at the same moment, slowing each other; starting them
  // STAGGER_MS apart keeps every job's finish alone, as a real server's usually is.
  const jobs = bases.flatMap((base) => phases.map((phase, i) => ({ base, durationMs: base + phase, startAfterMs: i * STAGGER_MS })));
  const results = await Promise.all(
    jobs.map(async (j) => {
      await sleep(j.startAfterMs);
      return { base: j.base, startAfterMs: j.startAfterMs, ...(await oneJob(j.durationMs)) };
    }),
  );
  const perBase = bases.map((base) => {
    const r = results.filter((x) => x.base === base);
    return {
      baseMs: base,
      durations: r.map((x) => x.durationMs),
      medianDelayMs: median(r.map((x) => x.delayMs)),
      maxDelayMs: Math.max(...r.map((x) => x.delayMs)),
      medianPollLagMs: median(r.map((x) => x.pollLagMs)),
      medianAfterLastPollMs: median(r.map((x) => x.afterLastPollMs)),
      maxAfterLastPollMs: Math.max(...r.map((x) => x.afterLastPollMs)),
      medianStatusRequests: median(r.map((x) => x.statusRequests)),
      medianRequestsPerSecond: round(median(r.map((x) => x.requestsPerSecond)), 3),
      maxRequestsPerSecond: Math.max(...r.map((x) => x.requestsPerSecond)),
      runs: r,
    };
  });
  for (const b of perBase) {
    log(`polling ~${b.baseMs / 1000}s jobs: delay median ${b.medianDelayMs} ms, max ${b.maxDelayMs} ms (poll lag median ${b.medianPollLagMs} ms, processing after the DONE poll median ${b.medianAfterLastPollMs} ms); ${b.medianStatusRequests} status requests (${b.medianRequestsPerSecond}/s)`);
  }
  const maxDelay = Math.max(...results.map((x) => x.delayMs));
  const jobs_ = (b) => `${b.baseMs / 1000}-${(b.baseMs + Math.max(...phases)) / 1000} s jobs`;
  const maxRate = Math.max(...results.map((x) => x.requestsPerSecond));
  const figures = [
    ...perBase.map((b) =>
      figure(
        `polling_delay_${b.baseMs}`,
        `Polling, ${jobs_(b)}: DONE -> tool returned, median / max of ${b.runs.length}`,
        `${b.medianDelayMs} / ${b.maxDelayMs}`,
        "ms",
        "<= 1000 ms",
        b.maxDelayMs <= 1000,
      ),
    ),
    ...perBase.map((b) =>
      figure(
        `polling_requests_${b.baseMs}`,
        `Polling, ${jobs_(b)}: status requests per job, median (per second of the call)`,
        `${b.medianStatusRequests} (${b.medianRequestsPerSecond}/s)`,
        "requests",
        "<= 1 /s",
        b.maxRequestsPerSecond <= 1,
      ),
    ),
  ];
  return { figures, details: { perBase, maxDelayMs: maxDelay, maxRequestsPerSecond: maxRate } };
}
