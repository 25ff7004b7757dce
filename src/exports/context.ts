/**
 * What the export life cycle needs from the process, and nothing more: the front door's
 * functions take an ExportDeps (the runtime's Deps is one) and, per call, a CallContext.
 */
import type { ClariClient } from "../client/clari-client.js";
import type { Config } from "../config.js";
import type { CallerBudget } from "../config/budgets.js";
import type { Logger } from "../logger.js";
import type { TaskRecords } from "../state/task-records.js";
import type { Journal } from "./jobs/journal.js";
import type { QueryEngine } from "./query/engine.js";
import type { Observations } from "./store/observations.js";
import type { ExportStore } from "./store/store.js";
import type { TableCache } from "./table/table-cache.js";

export interface ExportDeps {
  client: ClariClient;
  config: Pick<Config, "downloadTimeoutSeconds" | "freshnessMinutes" | "intentGraceSeconds" | "maxDownloadMb" | "queueTimeoutSeconds" | "forecastTabs" | "queryMemoryMb">;
  store: ExportStore;
  /** Export jobs in flight (intents and jobIds), under the store's lock. */
  journal: Journal;
  /** Audit pages and opportunity lookups read without an export, kept for questions. */
  observations: Observations;
  tables: TableCache;
  /** clari_query's SQL engine (DuckDB loads on its first query). */
  query: QueryEngine;
  /** MCP Tasks' records: a task waits on its job like a blocking call does. */
  tasks: TaskRecords;
  logger: Logger;
}

/** Per-call facilities: cancellation and (when the client asked for it) progress. */
export interface CallContext {
  signal: AbortSignal;
  /** Who is calling: a named token or a signed-in person (undefined for stdio's one user). */
  caller?: string;
  /** The caller's permissions (src/config/scopes.ts); undefined: every one (stdio). */
  permissions?: readonly string[];
  /** The export budget this call spends from; undefined: unlimited. */
  budget?: CallerBudget;
  /** Filled in as the call goes: exports it queued (each a unit of the monthly quota and of its budget). */
  usage?: { exportsQueued: number };
  /** Sends notifications/progress when the request carried a progressToken; otherwise a no-op. */
  progress(update: { progress: number; total?: number; message: string }): Promise<void>;
  /** True once the server is shutting down (every call's signal then aborts; that is no cancellation). */
  isClosing(): boolean;
}
