/**
 * Builds what every session shares: the Clari client (pointed at the in-process sandbox in
 * --sandbox mode), the export store, the table cache and the logger.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ClariClient } from "./client/clari-client.js";
import { registerSecret } from "./client/redact.js";
import type { Config } from "./config.js";
import { ExportStore } from "./exports/store.js";
import { TableCache } from "./exports/table-cache.js";
import type { Logger } from "./logger.js";
import type { Sandbox } from "./sandbox/index.js";
import type { ToolDeps } from "./tools/define-tool.js";
import { VERSION } from "./version.js";

export interface Runtime {
  deps: ToolDeps;
  sandbox: Sandbox | undefined;
  close(): Promise<void>;
}

export const SANDBOX_API_KEY = "sandbox";
/** Expired exports leave the store this often while the server runs (and at every start). */
const PURGE_EVERY_MS = 10 * 60_000;

function credentialFolder(baseUrl: string, apiKey: string | undefined): string {
  return createHash("sha256").update(`${baseUrl}\n${apiKey ?? ""}`).digest("hex").slice(0, 16);
}
export const SANDBOX_PARTNER_KEY = "sandbox-partner";

export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  registerSecret(config.apiKey);
  registerSecret(config.partnerKey);
  registerSecret(config.httpToken);

  let sandbox: Sandbox | undefined;
  let settings = { apiKey: config.apiKey, partnerKey: config.partnerKey, v4BaseUrl: config.v4BaseUrl, v2BaseUrl: config.v2BaseUrl };
  if (config.sandbox) {
    const { startSandbox } = await import("./sandbox/index.js");
    sandbox = await startSandbox({ jobDurationMs: config.sandboxJobMs, users: config.sandboxUsers, apiKey: SANDBOX_API_KEY, partnerKey: SANDBOX_PARTNER_KEY });
    settings = { apiKey: SANDBOX_API_KEY, partnerKey: SANDBOX_PARTNER_KEY, v4BaseUrl: sandbox.v4Url, v2BaseUrl: sandbox.v2Url };
    logger.info(`sandbox mode: simulated Clari at ${sandbox.url} (no credentials used)`);
  }

  const client = new ClariClient({
    ...settings,
    requestsPerSecond: config.requestsPerSecond,
    userAgent: `clari-mcp/${VERSION}`,
    onCall: ({ operation, status, ms }) => logger.debug(`${operation} -> ${status} in ${ms} ms`),
  });
  // A sandbox's store is scratch data: keep it apart from (and never mixed with) a real org's.
  // Each credential (base URL + key) gets its own folder: exports and jobs of one org or user are
  // never served to another.
  const folder = config.sandbox || !config.cacheDir ? undefined : path.join(config.cacheDir, credentialFolder(settings.v4BaseUrl, settings.apiKey));
  const store = await ExportStore.open(folder);
  const purge = setInterval(() => void store.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
  purge.unref();
  const tables = new TableCache(store);
  const deps: ToolDeps = { client, config, store, tables, logger };
  return {
    deps,
    sandbox,
    async close() {
      clearInterval(purge);
      await client.close();
      await sandbox?.close();
    },
  };
}
