/**
 * Test harness: a real sandbox on loopback, the real client and server, and the SDK's Client
 * connected through an in-memory transport. Everything a protocol test needs in one call.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/client";
import type { ClariClient, ClariClientOptions } from "../../src/client/clari-client.js";
import { API_KEY, PARTNER_KEY, startClariClient } from "./clari.js";
import { loadConfig, type Config } from "../../src/config.js";
import { Journal } from "../../src/exports/jobs/journal.js";
import { QueryEngine } from "../../src/exports/query/engine.js";
import { Observations } from "../../src/exports/store/observations.js";
import { ExportStore } from "../../src/exports/store/store.js";
import { TableCache } from "../../src/exports/table/table-cache.js";
import { memoryAudit } from "../../src/state/audit-trail.js";
import { memoryTasks } from "../../src/state/task-records.js";
import { createLogger, silentLogger, type Logger } from "../../src/logger.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { createServer } from "../../src/server.js";
import type { Deps } from "../../src/deps.js";

export interface Harness {
  client: Client;
  sandbox: Sandbox;
  deps: Deps;
  clari: ClariClient;
  config: Config;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  /** Extra CLI flags for loadConfig (e.g. ["--read-only"]). */
  flags?: string[];
  client?: Partial<ClariClientOptions>;
  partnerKey?: boolean;
  /** Persist the store in this folder instead of memory. */
  cacheDir?: string;
  logger?: Logger;
  /** Reuse an already running sandbox (restart tests). */
  existingSandbox?: Sandbox;
}

/** What createRuntime builds, around a client the test made: store, journal and table cache on config.cacheDir. */
export async function depsFor(client: ClariClient, config: Config, logger: Logger = silentLogger): Promise<Deps> {
  const store = await ExportStore.open(config.cacheDir, { maxBytes: config.maxStoreMb * 1024 * 1024 });
  const journal = Journal.open(config.cacheDir, store.lock, () => undefined);
  const observations = Observations.open(config.cacheDir);
  const tables = new TableCache(store);
  const query = QueryEngine.fromConfig(config, { store, tables, observations, logger });
  return { client, config, store, journal, observations, tables, query, tasks: store.backend?.tasks ?? memoryTasks(), logger, audit: store.backend?.audit ?? memoryAudit() };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = options.existingSandbox ?? (await startSandbox({ jobDurationMs: 300, ...options.sandbox }));
  const flags = [...(options.flags ?? [])];
  if (options.cacheDir) flags.push("--cache-dir", options.cacheDir);
  else flags.push("--no-cache");
  const config = loadConfig(flags, { CLARI_API_KEY: API_KEY, ...(options.partnerKey === false ? {} : { CLARI_PARTNER_KEY: PARTNER_KEY }) });
  const clari = await startClariClient(sandbox, { partnerKey: options.partnerKey === false ? undefined : PARTNER_KEY, ...options.client });
  const deps = await depsFor(clari, config, options.logger);
  const server = createServer(deps);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(clientTransport);
  return {
    client,
    sandbox,
    deps,
    clari,
    config,
    async close() {
      await client.close();
      await server.close();
      await clari.close();
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
