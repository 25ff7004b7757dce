/**
 * One Config object. Every environment variable and command-line flag is read here and nowhere
 * else; the rest of the program receives a validated Config.
 */
import { homedir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadBearerTokens, TokenConfigError, type NamedToken } from "./config/bearer-tokens.js";
import { BudgetConfigError, loadBudgetSettings, type BudgetSettings } from "./config/budgets.js";
import { loadOAuthSettings, OAuthConfigError, scopesFileJson, type OAuthSettings } from "./config/oauth.js";
import { hasStrayAt, redactStateUrl } from "./config/state-url.js";

export { redactStateUrl, stateUrlPasswords } from "./config/state-url.js";

export const TOOLSETS = ["forecast", "jobs", "audit", "activity", "opportunity", "admin", "ingest"] as const;
export type Toolset = (typeof TOOLSETS)[number];
export type LogLevel = "error" | "warn" | "info" | "debug";

export interface Config {
  command: "serve" | "sandbox" | "help" | "version";
  apiKey: string | undefined;
  partnerKey: string | undefined;
  v4BaseUrl: string;
  v2BaseUrl: string;
  /** Run against the in-process simulated Clari. */
  sandbox: boolean;
  transport: "stdio" | "http";
  host: string;
  port: number;
  /** Bearer tokens accepted over HTTP, each with the name logs show; empty = no token required. */
  httpTokens: NamedToken[];
  /** OAuth 2.1 resource server (people sign in with the team's identity provider); undefined = off. */
  oauth: OAuthSettings | undefined;
  stateless: boolean;
  /** Extra Host header values accepted in HTTP mode (besides the bind address and localhost). */
  allowedHosts: string[];
  /** Origins accepted in HTTP mode (browsers send one); localhost origins are always accepted. */
  allowedOrigins: string[];
  maxBodyBytes: number;
  toolsets: Set<Toolset>;
  /** When set, only these tool names are exposed. */
  tools: Set<string> | undefined;
  readOnly: boolean;
  logLevel: LogLevel;
  /** Export store folder; undefined with --no-cache (memory only). */
  cacheDir: string | undefined;
  /** Shared state (store, journal, locks, observations, tasks) in Postgres instead of cacheDir. Holds a password: never log it as is (redactStateUrl). */
  stateUrl: string | undefined;
  /** Reuse an identical export younger than this instead of spending quota. */
  freshnessMinutes: number;
  /** Default time a job-creating tool waits before returning a resumable handle. */
  waitSeconds: number;
  /** Bound on the POST that queues an export; past it the request is unconfirmed, never resent blindly. */
  queueTimeoutSeconds: number;
  /** After an unconfirmed POST, how long Clari's job list is given to show the job before an identical request may queue again. */
  intentGraceSeconds: number;
  /** An export file larger than this is not downloaded. */
  maxDownloadMb: number;
  /** Overall deadline of one download, however slowly the body arrives. */
  downloadTimeoutSeconds: number;
  /** Size cap of the export store (folder or memory); least recently used exports go first. */
  maxStoreMb: number;
  /** Folder from which clari_ingest_bulk may read files; undefined = file paths refused. */
  ingestDir: string | undefined;
  requestsPerSecond: number;
  /** Simulated Clari: how long its export jobs take, and the org size. */
  sandboxJobMs: number;
  sandboxUsers: number;
  /** clari_query: a query running longer than this is interrupted. */
  queryTimeoutSeconds: number;
  /** clari_query: DuckDB's memory_limit (the stored data it holds and every query's work). */
  queryMemoryMb: number;
  /** Forecast Tab ids the org has (--forecast-tabs): Clari has no API that lists them. */
  forecastTabs: string[];
  /** Exports each caller may queue per day, week or month (--export-budget and the mapping file's overrides). */
  exportBudgets: BudgetSettings;
  /** How long the audit trail of tool calls is kept. */
  auditDays: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const MAX_WAIT_SECONDS = 55;
export const DEFAULT_WAIT_SECONDS = 45;

const HELP = `clari-mcp: an MCP server for Clari (forecast, quota, pipeline, audit, activity)

Usage:
  clari-mcp [options]                 serve MCP over stdio (default) or HTTP
  clari-mcp --sandbox                 serve against a local simulated Clari (no key needed)
  clari-mcp sandbox [--port N]        run the simulated Clari API alone over HTTP

Options:
  --sandbox                 use the in-process simulated Clari (also CLARI_MCP_SANDBOX=true)
  --transport stdio|http    MCP transport (default stdio)
  --host H --port N         HTTP bind address (default 127.0.0.1:3000; \`clari-mcp sandbox\`: 4010)
  --http-token T            bearer token required on HTTP (a token or sign-in is required to bind
                            a non-loopback host)
  --http-tokens-file FILE   named bearer tokens, one name:token per line (logs show the name);
                           name[read,export]:token grants only those permissions
  --oauth-issuer URL        accept access tokens from this OAuth authorization server (sign-in
                            with the team's identity provider); needs --public-url
  --public-url URL          the URL clients reach /mcp at (tokens must be issued for it)
  --oauth-audience A,B      further accepted token audiences (e.g. Entra ID's application ID URI)
  --oauth-introspection-client FILE  client_id/client_secret JSON for introspecting opaque tokens
  --oauth-scopes-file FILE  JSON mapping this server's permissions to the IdP's scope names, and
                            per-permission or per-caller export budgets
  --export-budget N/PERIOD  exports each caller may queue per day, week or month (e.g. 20/day;
                            default unlimited)
  --audit-days N            how long the audit trail of tool calls is kept (default 90)
  --stateless               HTTP without sessions, for many replicas behind a load balancer
  --allowed-hosts a,b       extra Host header values accepted over HTTP
  --allowed-origins a,b     extra Origin values accepted over HTTP
  --toolsets a,b            ${TOOLSETS.join(", ")} (default: all)
  --tools a,b               expose only these tools
  --read-only               hide the tools that change Clari data (cancel, ingest writes)
  --cache-dir DIR           export store folder (default: the user's cache dir)
  --no-cache                keep exports in memory only
  --state postgres://...    keep the store, journal, locks and tasks in Postgres (shared by
                            replicas) instead of the cache folder
  --freshness-minutes N     reuse identical exports younger than N minutes (default 60)
  --wait-seconds N          how long job tools wait before returning a handle (default 45, max 55)
  --queue-timeout-seconds N bound on the POST that queues an export (default 20)
  --intent-grace-seconds N  after an unanswered queue POST, how long Clari's job list may take to
                            show the job before an identical request queues again (default 120)
  --max-download-mb N       largest export file downloaded (default 1024)
  --download-timeout-seconds N  overall deadline of one download (default 300)
  --max-store-mb N          export store size cap; least recently used go first (default 2048)
  --ingest-dir DIR          folder clari_ingest_bulk may read files from
  --forecast-tabs a,b       the org's Forecast Tab ids (from their Clari URLs), listed to the
                            assistant with the tabs seen in exports and the audit log
  --query-timeout-seconds N clari_query's time limit per query (default 10)
  --query-memory-mb N       clari_query's memory cap, data included (default 1024)
  --log-level L             error|warn|info|debug (default info)
  --sandbox-job-ms N        simulated export duration (default 3000)
  --sandbox-users N         simulated org size (default 40)
  -h, --help / -v, --version

Environment: CLARI_API_KEY, CLARI_PARTNER_KEY, CLARI_BASE_URL, CLARI_INGEST_BASE_URL,
CLARI_MCP_HTTP_TOKEN, CLARI_MCP_HTTP_TOKENS, CLARI_MCP_OAUTH_ISSUER, CLARI_MCP_PUBLIC_URL, CLARI_MCP_OAUTH_AUDIENCE,
CLARI_MCP_OAUTH_INTROSPECTION_CLIENT, CLARI_MCP_OAUTH_SCOPES_FILE, CLARI_MCP_CACHE_DIR, CLARI_MCP_STATE_URL, CLARI_MCP_LOG_LEVEL, CLARI_MCP_INGEST_DIR,
CLARI_MCP_MAX_DOWNLOAD_MB, CLARI_MCP_DOWNLOAD_TIMEOUT_SECONDS, CLARI_MCP_MAX_STORE_MB,
CLARI_MCP_QUERY_TIMEOUT_SECONDS, CLARI_MCP_QUERY_MEMORY_MB, CLARI_MCP_EXPORT_BUDGET, CLARI_MCP_AUDIT_DAYS, CLARI_MCP_FORECAST_TABS.`;

export function helpText(): string {
  return HELP;
}

function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, "clari-mcp");
  if (process.platform === "darwin") return path.join(homedir(), "Library", "Caches", "clari-mcp");
  if (process.platform === "win32" && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, "clari-mcp", "cache");
  return path.join(homedir(), ".cache", "clari-mcp");
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** An on/off setting from the environment: true/1/yes or false/0/no, any case; unset or empty is `fallback`. */
function flag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  if (/^(true|1|yes)$/i.test(value.trim())) return true;
  if (/^(false|0|no)$/i.test(value.trim())) return false;
  throw new ConfigError(`${name} must be true or false (got ${JSON.stringify(value)}).`);
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}).`);
  return n;
}

/** The same shape as a forecastId tool input (src/client/ids.ts), which this layer may not import. */
const FORECAST_TAB_ID = /^[A-Za-z0-9_.-]{1,100}$/;

function forecastTabs(value: string | undefined): string[] {
  const tabs = [...new Set(list(value))];
  const bad = tabs.filter((t) => !FORECAST_TAB_ID.test(t));
  if (bad.length) throw new ConfigError(`--forecast-tabs: ${bad.map((t) => JSON.stringify(t.slice(0, 40))).join(", ")} is not a Forecast Tab id (letters, digits, '_', '-' or '.', as in the tab's Clari URL).`);
  return tabs;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}

/**
 * A client that substitutes its own settings into env may pass a placeholder it could not
 * resolve, as is: Claude Desktop hands "${user_config.partner_key}" to the server when an
 * optional key was left empty. Such a value is unset, never a key.
 */
function resolvedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value === undefined || !/^\$\{[^}]*\}$/.test(value.trim())));
}

export function loadConfig(argv: string[], rawEnv: NodeJS.ProcessEnv = process.env): Config {
  const env = resolvedEnv(rawEnv);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      sandbox: { type: "boolean" },
      transport: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "http-token": { type: "string" },
      "http-tokens-file": { type: "string" },
      "oauth-issuer": { type: "string" },
      "public-url": { type: "string" },
      "oauth-audience": { type: "string" },
      "oauth-introspection-client": { type: "string" },
      "oauth-scopes-file": { type: "string" },
      stateless: { type: "boolean" },
      "allowed-hosts": { type: "string" },
      "allowed-origins": { type: "string" },
      toolsets: { type: "string" },
      tools: { type: "string" },
      "read-only": { type: "boolean" },
      "cache-dir": { type: "string" },
      "no-cache": { type: "boolean" },
      state: { type: "string" },
      "freshness-minutes": { type: "string" },
      "wait-seconds": { type: "string" },
      "ingest-dir": { type: "string" },
      "queue-timeout-seconds": { type: "string" },
      "intent-grace-seconds": { type: "string" },
      "max-download-mb": { type: "string" },
      "download-timeout-seconds": { type: "string" },
      "max-store-mb": { type: "string" },
      "log-level": { type: "string" },
      "sandbox-job-ms": { type: "string" },
      "sandbox-users": { type: "string" },
      "query-timeout-seconds": { type: "string" },
      "query-memory-mb": { type: "string" },
      "forecast-tabs": { type: "string" },
      "export-budget": { type: "string" },
      "audit-days": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });

  const command = values.help ? "help" : values.version ? "version" : positionals[0] === "sandbox" ? "sandbox" : "serve";
  if (positionals.length > 0 && positionals[0] !== "sandbox") throw new ConfigError(`Unknown command ${JSON.stringify(positionals[0])}. Run clari-mcp --help.`);

  const transport = values.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http") throw new ConfigError(`--transport must be stdio or http (got ${JSON.stringify(transport)}).`);

  const logLevel = (values["log-level"] ?? env.CLARI_MCP_LOG_LEVEL ?? "info") as LogLevel;
  if (!["error", "warn", "info", "debug"].includes(logLevel)) throw new ConfigError(`--log-level must be error, warn, info or debug (got ${JSON.stringify(logLevel)}).`);

  const requestedToolsets = list(values.toolsets);
  const unknownToolsets = requestedToolsets.filter((t) => !(TOOLSETS as readonly string[]).includes(t) && t !== "all");
  if (unknownToolsets.length) throw new ConfigError(`Unknown toolset(s): ${unknownToolsets.join(", ")}. Choose from ${TOOLSETS.join(", ")}, or all.`);
  const toolsets = new Set<Toolset>(requestedToolsets.length === 0 || requestedToolsets.includes("all") ? TOOLSETS : (requestedToolsets as Toolset[]));

  const host = values.host ?? "127.0.0.1";
  const httpToken = values["http-token"] ?? env.CLARI_MCP_HTTP_TOKEN ?? undefined;
  if (httpToken && !/^[\x21-\x7e]+$/.test(httpToken)) throw new ConfigError("the HTTP bearer token contains spaces, line breaks or non-ASCII characters; copy it again exactly as Clari issued it.");
  let httpTokens: NamedToken[];
  try {
    httpTokens = loadBearerTokens({ single: httpToken, file: values["http-tokens-file"], env: env.CLARI_MCP_HTTP_TOKENS });
  } catch (error) {
    if (error instanceof TokenConfigError) throw new ConfigError(error.message);
    throw error;
  }
  let oauth: OAuthSettings | undefined;
  let exportBudgets: BudgetSettings;
  try {
    const scopesFile = (values["oauth-scopes-file"] ?? env.CLARI_MCP_OAUTH_SCOPES_FILE) || undefined;
    oauth = loadOAuthSettings({
      issuer: (values["oauth-issuer"] ?? env.CLARI_MCP_OAUTH_ISSUER) || undefined,
      publicUrl: (values["public-url"] ?? env.CLARI_MCP_PUBLIC_URL) || undefined,
      audience: (values["oauth-audience"] ?? env.CLARI_MCP_OAUTH_AUDIENCE) || undefined,
      introspectionClientFile: (values["oauth-introspection-client"] ?? env.CLARI_MCP_OAUTH_INTROSPECTION_CLIENT) || undefined,
      scopesFile,
    });
    const file = scopesFile ? { json: scopesFileJson(scopesFile), where: `--oauth-scopes-file ${scopesFile}` } : undefined;
    exportBudgets = loadBudgetSettings((values["export-budget"] ?? env.CLARI_MCP_EXPORT_BUDGET) || undefined, file);
  } catch (error) {
    if (error instanceof OAuthConfigError || error instanceof BudgetConfigError) throw new ConfigError(error.message);
    throw error;
  }
  // CLARI_MCP_SANDBOX: the Claude Desktop bundle's "try with simulated data" setting, which a
  // host passes as "true" or "false" (a bundle's arguments cannot add a flag conditionally).
  const sandbox = values.sandbox ?? flag("CLARI_MCP_SANDBOX", env.CLARI_MCP_SANDBOX, false);
  const apiKey = env.CLARI_API_KEY || undefined;

  const config: Config = {
    command,
    apiKey,
    partnerKey: env.CLARI_PARTNER_KEY || undefined,
    v4BaseUrl: env.CLARI_BASE_URL || "https://api.clari.com/v4",
    v2BaseUrl: env.CLARI_INGEST_BASE_URL || "https://api.clari.com/v2",
    sandbox,
    transport,
    host,
    port: integer("--port", values.port, command === "sandbox" ? 4010 : 3000, 0, 65535),
    httpTokens,
    oauth,
    stateless: values.stateless ?? false,
    // Behind a proxy on the same machine, the public URL's host is the Host this loopback server sees.
    allowedHosts: [...list(values["allowed-hosts"]), ...(oauth && isLoopback(host) ? [new URL(oauth.resource).host] : [])],
    allowedOrigins: list(values["allowed-origins"]),
    // Room for clari_ingest_bulk's inline datasets (Clari takes up to 10 MB) plus JSON-RPC framing.
    maxBodyBytes: 12 * 1024 * 1024,
    toolsets,
    tools: values.tools ? new Set(list(values.tools)) : undefined,
    readOnly: values["read-only"] ?? false,
    logLevel,
    cacheDir: values["no-cache"] ? undefined : (values["cache-dir"] ?? env.CLARI_MCP_CACHE_DIR ?? defaultCacheDir(env)),
    stateUrl: (values.state ?? env.CLARI_MCP_STATE_URL) || undefined,
    freshnessMinutes: integer("--freshness-minutes", values["freshness-minutes"], 60, 0, 7 * 24 * 60),
    waitSeconds: integer("--wait-seconds", values["wait-seconds"], DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS),
    queueTimeoutSeconds: integer("--queue-timeout-seconds", values["queue-timeout-seconds"], 20, 1, 50),
    intentGraceSeconds: integer("--intent-grace-seconds", values["intent-grace-seconds"], 120, 0, 3600),
    maxDownloadMb: integer("--max-download-mb", values["max-download-mb"] ?? env.CLARI_MCP_MAX_DOWNLOAD_MB, 1024, 1, 64 * 1024),
    downloadTimeoutSeconds: integer("--download-timeout-seconds", values["download-timeout-seconds"] ?? env.CLARI_MCP_DOWNLOAD_TIMEOUT_SECONDS, 300, 1, 24 * 3600),
    maxStoreMb: integer("--max-store-mb", values["max-store-mb"] ?? env.CLARI_MCP_MAX_STORE_MB, 2048, 1, 1024 * 1024),
    ingestDir: values["ingest-dir"] ?? env.CLARI_MCP_INGEST_DIR ?? undefined,
    requestsPerSecond: 100,
    sandboxJobMs: integer("--sandbox-job-ms", values["sandbox-job-ms"], 3000, 0, 3_600_000),
    sandboxUsers: integer("--sandbox-users", values["sandbox-users"], 40, 5, 100_000),
    queryTimeoutSeconds: integer("--query-timeout-seconds", values["query-timeout-seconds"] ?? env.CLARI_MCP_QUERY_TIMEOUT_SECONDS, 10, 1, 600),
    queryMemoryMb: integer("--query-memory-mb", values["query-memory-mb"] ?? env.CLARI_MCP_QUERY_MEMORY_MB, 1024, 128, 1024 * 1024),
    forecastTabs: forecastTabs(values["forecast-tabs"] ?? env.CLARI_MCP_FORECAST_TABS),
    exportBudgets,
    auditDays: integer("--audit-days", values["audit-days"] ?? env.CLARI_MCP_AUDIT_DAYS, 90, 1, 3650),
  };

  for (const [name, value] of [["CLARI_API_KEY", apiKey], ["CLARI_PARTNER_KEY", config.partnerKey]] as const) {
    if (value !== undefined && !/^[\x21-\x7e]+$/.test(value)) throw new ConfigError(`${name} contains spaces, line breaks or non-ASCII characters; copy it again exactly as Clari issued it.`);
  }

  if (config.stateUrl !== undefined) {
    checkStateUrl(config.stateUrl);
    if (values["no-cache"]) throw new ConfigError(`--no-cache keeps exports in memory, --state (or CLARI_MCP_STATE_URL) keeps them in ${redactStateUrl(config.stateUrl)}: choose one.`);
  }

  if (command === "serve") {
    if (!sandbox && !apiKey) {
      throw new ConfigError("CLARI_API_KEY is not set. Create a token in Clari (Settings > API Token) and set CLARI_API_KEY, or run with --sandbox to try the simulated Clari.");
    }
    if (transport === "http" && !isLoopback(host) && config.httpTokens.length === 0 && !oauth) {
      throw new ConfigError(`Refusing to listen on ${host} without a bearer token or sign-in: set --http-token, --http-tokens-file, CLARI_MCP_HTTP_TOKEN, CLARI_MCP_HTTP_TOKENS or --oauth-issuer, or bind 127.0.0.1.`);
    }
    if (oauth && transport !== "http") throw new ConfigError("--oauth-issuer is for the HTTP transport (--transport http); over stdio the client starts the server and no sign-in is needed.");
  }
  return config;
}

const ENCODE_ADVICE = 'percent-encode the user and password (@ as %40, / as %2F, ? as %3F, # as %23, : as %3A, % as %25), e.g. postgres://user:p%40ss%2Fword@host:5432/database';

function checkStateUrl(url: string): void {
  if (hasStrayAt(url)) throw new ConfigError(`--state / CLARI_MCP_STATE_URL is malformed (${redactStateUrl(url)}): an "@" follows the host part, so the password holds a character a URL cannot carry as is; ${ENCODE_ADVICE}.`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--state / CLARI_MCP_STATE_URL is not a URL (${redactStateUrl(url)}); give postgres://user:password@host:5432/database and ${ENCODE_ADVICE}.`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new ConfigError(`--state / CLARI_MCP_STATE_URL must be a postgres:// or postgresql:// URL (got ${redactStateUrl(url)}); without it the store stays in the cache folder.`);
  }
  if (!parsed.hostname && !parsed.searchParams.get("host")) throw new ConfigError(`--state / CLARI_MCP_STATE_URL names no host (${redactStateUrl(url)}); give postgres://user:password@host:5432/database.`);
}
