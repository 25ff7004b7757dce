/**
 * Test harness: a real sandbox on loopback, the runtime the CLI builds (createRuntime, with the
 * test keys pointed at the sandbox), the real server, and the SDK's Client connected through an
 * in-memory transport. Everything a protocol test needs in one call.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, inject } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/client";
import type { ClariClient, ClariClientOptions } from "../../src/client/clari-client.js";
import { API_KEY, PARTNER_KEY, startClariClient, TEST_RETRY } from "./clari.js";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger, silentLogger, type Logger } from "../../src/logger.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { createServer } from "../../src/server.js";
import { createRuntime, credentialFolder, type ClientTuning, type Deps, type Runtime } from "../../src/deps.js";

export interface Harness {
  client: Client;
  sandbox: Sandbox;
  deps: Deps;
  clari: ClariClient;
  config: Config;
  close(): Promise<void>;
}

/** Where the client points (another loopback Clari than the sandbox), and how it retries and times out. */
export type HarnessClientOptions = Partial<Pick<ClariClientOptions, "v4BaseUrl" | "v2BaseUrl">> & ClientTuning;

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  /** Extra CLI flags for loadConfig (e.g. ["--read-only"]). */
  flags?: string[];
  client?: HarnessClientOptions;
  partnerKey?: boolean;
  /** Persist the store in this folder instead of memory. */
  cacheDir?: string;
  logger?: Logger;
  /** Reuse an already running sandbox (restart tests). */
  existingSandbox?: Sandbox;
}

/**
 * The runtime the CLI would build (src/deps.ts createRuntime) for a server pointed at `sandbox`
 * with the test keys: `flags` as on the command line, quick retries unless `client` says otherwise.
 */
export async function startRuntime(
  sandbox: Sandbox,
  flags: string[],
  options: { client?: HarnessClientOptions; partnerKey?: boolean; logger?: Logger } = {},
): Promise<{ runtime: Runtime; config: Config }> {
  const { v4BaseUrl = sandbox.v4Url, v2BaseUrl = sandbox.v2Url, ...tuning } = options.client ?? {};
  const env = { CLARI_API_KEY: API_KEY, CLARI_BASE_URL: v4BaseUrl, CLARI_INGEST_BASE_URL: v2BaseUrl, ...(options.partnerKey === false ? {} : { CLARI_PARTNER_KEY: PARTNER_KEY }) };
  const config = loadConfig(flags, env);
  // The fast tier (vitest.config.ts) runs no child process: its queries run in process, from the sources.
  const runtime = await createRuntime(config, options.logger ?? silentLogger, { client: { retry: TEST_RETRY, ...tuning }, queriesInProcess: inject("queriesInProcess") === true });
  return { runtime, config };
}

/** The store folder createRuntime uses under `cacheDir` for the test keys on `sandbox`. */
export function storeFolder(cacheDir: string, sandbox: Sandbox): string {
  return path.join(cacheDir, credentialFolder(sandbox.v4Url, API_KEY));
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = options.existingSandbox ?? (await startSandbox({ jobDurationMs: 300, ...options.sandbox }));
  const flags = [...(options.flags ?? [])];
  if (options.cacheDir) flags.push("--cache-dir", options.cacheDir);
  else flags.push("--no-cache");
  const { runtime, config } = await startRuntime(sandbox, flags, options);
  const { deps } = runtime;
  const server = createServer(deps);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(clientTransport);
  return {
    client,
    sandbox,
    deps,
    clari: deps.client,
    config,
    async close() {
      await client.close();
      await server.close();
      await runtime.close();
      if (!options.existingSandbox) await sandbox.close();
    },
  };
}

/** A harness factory for a test file: every harness it makes is closed after each test. */
export function harnessPerTest(): (options?: HarnessOptions) => Promise<Harness> {
  const open: Harness[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  return async (options = {}) => {
    const h = await startHarness(options);
    open.push(h);
    return h;
  };
}

export async function tempDir(prefix = "clari-mcp-test-"): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.filter((c) => c.type === "text").map((c) => c.text ?? "").join("\n");
}

export { createLogger };

export { API_KEY, PARTNER_KEY, startClariClient };
