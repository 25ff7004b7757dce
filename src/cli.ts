#!/usr/bin/env node
/**
 * The `clari-mcp` command: read the configuration, then serve MCP (stdio or HTTP) or run the
 * simulated Clari alone. A bad configuration stops here with one line on stderr, before any
 * protocol traffic.
 */
import { ConfigError, helpText, loadConfig, type Config } from "./config.js";
import { createRuntime } from "./deps.js";
import { createLogger, type Logger } from "./logger.js";
import { VERSION } from "./version.js";

async function runSandboxOnly(config: Config, logger: Logger): Promise<void> {
  const { startSandbox } = await import("./sandbox/index.js");
  const sandbox = await startSandbox({
    port: config.port,
    host: config.host,
    jobDurationMs: config.sandboxJobMs,
    users: config.sandboxUsers,
    log: (line) => logger.info(line),
  });
  process.stderr.write(
    `Simulated Clari listening on ${sandbox.url}\n` +
      `  v4 API: ${sandbox.v4Url}   ingest (v2): ${sandbox.v2Url}\n` +
      `  headers: apikey: sandbox   (ingest also partnerkey: sandbox-partner)\n` +
      `  try: curl -s -X POST -H 'apikey: sandbox' -H 'content-type: application/json' -d '{}' ${sandbox.v4Url}/export/forecast/net_bookings\n` +
      `Press Ctrl+C to stop.\n`,
  );
  const stop = async (): Promise<void> => {
    await sandbox.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/**
 * How long after the server is ready the HTTP stack is loaded: late enough that a client's
 * handshake and first tools/list are answered first (start-up time is what it waits for), early
 * enough that the first tool call, seconds later in a chat, does not load it (~100 ms).
 */
const PREPARE_AFTER_MS = 500;

function prepareWhenIdle(prepare: () => Promise<void>): void {
  setTimeout(() => void prepare(), PREPARE_AFTER_MS).unref();
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? (error as Error).message : String(error);
    process.stderr.write(`clari-mcp: ${message}\n`);
    process.exit(2);
  }
  if (config.command === "help") {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  if (config.command === "version") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const logger = createLogger(config.logLevel);
  if (config.command === "sandbox") return runSandboxOnly(config, logger);

  // Only the chosen transport is loaded, while the runtime (and any sandbox) starts: start-up
  // time is what a client waits for.
  if (config.transport === "stdio") {
    const [{ runStdio }, runtime] = await Promise.all([import("./transports/stdio.js"), createRuntime(config, logger)]);
    await runStdio(runtime.deps, () => runtime.close());
    prepareWhenIdle(() => runtime.deps.client.prepare());
    return;
  }
  const [{ startHttp }, runtime] = await Promise.all([import("./transports/http.js"), createRuntime(config, logger)]);
  const http = await startHttp(runtime.deps, config);
  prepareWhenIdle(() => runtime.deps.client.prepare());
  const stop = async (): Promise<void> => {
    await http.close();
    await runtime.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`clari-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
