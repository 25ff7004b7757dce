/**
 * Builds what every session shares: the Clari client (pointed at the in-process sandbox in
 * --sandbox mode), the state backend (the cache folder, or Postgres with --state) with the export
 * store, journal, observations and task records on it, the table cache and the logger.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ClariClient, type ClariClientOptions } from "./client/clari-client.js";
import { registerSecret } from "./security/redact.js";
import { stateUrlPasswords, type Config } from "./config.js";
import type { Logger } from "./logger.js";
import { SANDBOX_DATA_VERSION, SANDBOX_FORECAST_TABS, SANDBOX_SEED } from "./sandbox/identity.js";
import type { Sandbox } from "./sandbox/index.js";
import type { AuditStorage, StateBackend } from "./state/backend.js";
import { memoryAudit } from "./state/audit-trail.js";
import { openFolderBackend } from "./state/folder.js";
import { memoryTasks } from "./state/task-records.js";
import { VERSION } from "./version.js";
import { ExportStore, Journal, Observations, QueryEngine, TableCache, type ExportDeps } from "./exports/index.js";

export type { CallContext } from "./exports/index.js";

/** What every tool, resource and task receives: the export life cycle's own deps, the whole configuration, and the audit trail of tool calls. */
export interface Deps extends ExportDeps {
  config: Config;
  audit: AuditStorage;
}

export interface Runtime {
  deps: Deps;
  close(): Promise<void>;
}

/**
 * How the Clari client behaves beyond what the configuration says. Only tests set it (quick
 * retries, short call budgets); where the client points and with which keys stays the configuration's.
 */
export type ClientTuning = Pick<ClariClientOptions, "retry" | "callTimeoutMs" | "connectTimeoutMs" | "headersTimeoutMs" | "bodyTimeoutMs" | "requestsPerSecond">;

export interface RuntimeOptions {
  client?: ClientTuning;
  /** clari_query in this process, never in a worker process (the fast tests). */
  queriesInProcess?: boolean;
}

export const SANDBOX_API_KEY = "sandbox";
/** Expired exports leave the store this often while the server runs (and at every start). */
const PURGE_EVERY_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/** Budget counts are kept this long after their period ends. */
const BUDGET_KEPT_MS = 35 * DAY_MS;

/** The store folder of one credential (base URL + key), under the cache dir. */
export function credentialFolder(baseUrl: string, apiKey: string | undefined): string {
  return createHash("sha256").update(`${baseUrl}\n${apiKey ?? ""}`).digest("hex").slice(0, 16);
}

/**
 * The --sandbox store's folder: its seed, org size and data version, never its port (a new one at
 * every start), so a restart finds its exports again and another org size or data version is apart.
 */
export function sandboxFolder(users: number): string {
  return credentialFolder(`clari-sandbox:seed=${SANDBOX_SEED};users=${users};data=${SANDBOX_DATA_VERSION}`, SANDBOX_API_KEY);
}
export const SANDBOX_PARTNER_KEY = "sandbox-partner";

export async function createRuntime(given: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  // The sandbox's tabs are known as an admin would list a real org's with --forecast-tabs.
  const config: Config = given.sandbox && given.forecastTabs.length === 0 ? { ...given, forecastTabs: [...SANDBOX_FORECAST_TABS] } : given;
  registerSecret(config.apiKey);
  registerSecret(config.partnerKey);
  for (const { token } of config.httpTokens) registerSecret(token);
  registerSecret(config.oauth?.introspectionClient?.clientSecret);
  for (const password of stateUrlPasswords(config.stateUrl)) registerSecret(password);

  // The simulated Clari starts on the first call that needs it, not before the first tools/list.
  let sandbox: Promise<Sandbox> | undefined;
  const startSandboxOnce = (): Promise<Sandbox> =>
    (sandbox ??= import("./sandbox/index.js").then(async ({ startSandbox }) => {
      const started = await startSandbox({ seed: SANDBOX_SEED, jobDurationMs: config.sandboxJobMs, users: config.sandboxUsers, apiKey: SANDBOX_API_KEY, partnerKey: SANDBOX_PARTNER_KEY });
      logger.info(`sandbox mode: simulated Clari at ${started.url} (no credentials used)`);
      return started;
    }));
  const settings = config.sandbox
    ? {
        apiKey: SANDBOX_API_KEY,
        partnerKey: SANDBOX_PARTNER_KEY,
        v4BaseUrl: "http://127.0.0.1/v4",
        v2BaseUrl: "http://127.0.0.1/v2",
        resolveBaseUrls: async () => {
          const started = await startSandboxOnce();
          return { v4BaseUrl: started.v4Url, v2BaseUrl: started.v2Url };
        },
      }
    : { apiKey: config.apiKey, partnerKey: config.partnerKey, v4BaseUrl: config.v4BaseUrl, v2BaseUrl: config.v2BaseUrl };
  if (config.sandbox) logger.info("sandbox mode: the simulated Clari starts with the first call (no credentials used)");

  const client = new ClariClient({
    ...settings,
    requestsPerSecond: config.requestsPerSecond,
    userAgent: `clari-mcp/${VERSION}`,
    onCall: ({ operation, status, ms }) => logger.debug(`${operation} -> ${status} in ${ms} ms`),
    ...options.client,
  });
  // Each credential (base URL + key) gets its own folder: exports and jobs of one org or user are
  // never served to another. The sandbox's is named after its data (sandboxFolder), apart from any real org's.
  // With --state the same separation holds inside the database: every row carries that hash.
  const scope = config.sandbox ? sandboxFolder(config.sandboxUsers) : credentialFolder(settings.v4BaseUrl, settings.apiKey);
  const warn = (message: string): void => logger.warn(message);
  const backend = await openBackend(config, scope, warn);
  if (backend && config.stateUrl && !config.sandbox) logger.info(`shared state in ${backend.description}`);
  if (config.sandbox && config.stateUrl) logger.info("sandbox mode keeps its store in the cache folder: --state is not used");
  let store: ExportStore;
  try {
    store = await ExportStore.on(backend, { maxBytes: config.maxStoreMb * 1024 * 1024, warn });
  } catch (error) {
    await backend?.close();
    await client.close();
    throw error;
  }
  // The in-process sandbox's jobs live and die with this process, so its journal (budgets with it) and
  // task records do too: a restarted sandbox has no jobs, and a journal kept on disk would take its empty
  // job list for jobs lost (or another --sandbox process's jobs for its own). Its exports stay stored.
  const journal = backend && !config.sandbox ? Journal.on(backend.journal, store.lock, warn, backend.budgets) : Journal.open(undefined, store.lock, warn);
  const audit = backend ? backend.audit : memoryAudit();
  // Audit rows past --audit-days and budget counts of long-ended periods go at start and every 10 minutes, with expired exports.
  const purgeRecords = (): void => {
    void audit.purge(Date.now() - config.auditDays * DAY_MS).catch((error: unknown) => logger.warn(`audit trail: purging old rows failed (${(error as Error).message})`));
    void store.lock.run(() => journal.purgeBudgets(Date.now() - BUDGET_KEPT_MS)).catch(() => undefined);
  };
  purgeRecords();
  const purge = setInterval(() => {
    void store.purgeExpired().catch(() => undefined);
    purgeRecords();
  }, PURGE_EVERY_MS);
  purge.unref();
  const tables = new TableCache(store, undefined, config.queryMemoryMb);
  const observations = backend ? Observations.on(backend.observations) : Observations.open(undefined);
  const tasks = backend && !config.sandbox ? backend.tasks : memoryTasks();
  // The query tables are kept beside a folder store for the next run (memory mode and Postgres replicas keep none: a replica leaves its cache folder empty).
  const folderStore = backend !== undefined && (config.sandbox || !config.stateUrl);
  const keptQueryTables = folderStore && config.cacheDir ? path.join(config.cacheDir, scope, "query") : undefined;
  const query = QueryEngine.fromConfig(config, { store, tables, observations, logger, folder: keptQueryTables, inProcess: options.queriesInProcess ?? false });
  const deps: Deps = { client, config, store, journal, observations, tables, query, tasks, logger, audit };
  return {
    deps,
    async close() {
      clearInterval(purge);
      await query.close();
      await client.close();
      await (await sandbox?.catch(() => undefined))?.close();
      await backend?.close();
    },
  };
}

/** Where state lives: Postgres with --state, else the credential's (or the sandbox's) folder, else (--no-cache) memory. */
async function openBackend(config: Config, scope: string, warn: (message: string) => void): Promise<StateBackend | undefined> {
  if (config.stateUrl && !config.sandbox) {
    // node-postgres loads only when a database is used.
    const { openPostgresBackend } = await import("./state/postgres/open.js");
    return openPostgresBackend({ url: config.stateUrl, scope, warn });
  }
  return config.cacheDir ? openFolderBackend(path.join(config.cacheDir, scope), warn) : undefined;
}
