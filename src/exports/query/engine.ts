/**
 * The query engine behind clari_query: one in-memory DuckDB database per process holding
 * everything stored for this credential in the contract's tables (contract.ts). DuckDB and the
 * loaders are imported on the first query, never at start-up. Each query first takes in what
 * changed: exports new in the store are loaded once, exports that left it are dropped, audit pages
 * and opportunity lookups are reloaded when new ones were read. Queries run one at a time.
 */
import type { Opportunity, AuditPage } from "../../client/schemas.js";
import type { Logger } from "../../logger.js";
import type { Observations, Observed } from "../store/observations.js";
import type { ExportStore, StoredExport } from "../store/store.js";
import type { TableCache } from "../table/table-cache.js";
import type { BoundedResult } from "./bounded.js";
import { schemaHint } from "./contract.js";
import { QueryFailed, QueryRefused, QueryTimedOut } from "./errors.js";

export interface QueryEngineOptions {
  store: ExportStore;
  tables: TableCache;
  observations: Observations;
  logger: Logger;
  timeoutSeconds: number;
  memoryMb: number;
}


export const DEFAULT_ROWS = 50;
export const MAX_ROWS = 500;
/** Another process sharing the store may have read pages meanwhile: look again this often. */
const OBSERVATIONS_STALE_MS = 30_000;

type Modules = Awaited<ReturnType<typeof loadModules>>;

async function loadModules(memoryMb: number) {
  const [database, forecast, events, opportunities, lockdown, bounded, append] = await Promise.all([
    import("./database.js"),
    import("./load-forecast.js"),
    import("./load-events.js"),
    import("./load-opportunities.js"),
    import("./lockdown.js"),
    import("./bounded.js"),
    import("./append.js"),
  ]);
  const db = await database.openDatabase(memoryMb);
  return { db, forecast, events, opportunities, lockdown, bounded, append };
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

export class QueryEngine {
  private modules: Promise<Modules> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** jobId -> the entry loaded. */
  private readonly loaded = new Map<string, StoredExport>();
  /** Exports that could not be read (not retried every query). */
  private readonly failed = new Map<string, string>();
  private observationsDirty = true;
  private observationsReadAt = 0;

  constructor(private readonly options: QueryEngineOptions) {}

  static fromConfig(config: { queryTimeoutSeconds: number; queryMemoryMb: number }, parts: Omit<QueryEngineOptions, "timeoutSeconds" | "memoryMb">): QueryEngine {
    return new QueryEngine({ ...parts, timeoutSeconds: config.queryTimeoutSeconds, memoryMb: config.queryMemoryMb });
  }

  /** An audit page or opportunity lookup was just recorded: reload them before the next query. */
  observationsChanged(): void {
    this.observationsDirty = true;
  }

  /** Runs one read-only query over the tables (after taking in what changed). */
  query(sql: string, limit = DEFAULT_ROWS): Promise<BoundedResult & { warnings: string[] }> {
    const run = this.queue.then(() => this.run(sql, Math.min(Math.max(1, limit), MAX_ROWS)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private open(): Promise<Modules> {
    this.modules ??= loadModules(this.options.memoryMb).then(
      (m) => {
        this.options.logger.debug("query engine loaded (DuckDB, in memory)");
        return m;
      },
      (error: unknown) => {
        this.modules = undefined;
        throw error;
      },
    );
    return this.modules;
  }

  private async run(sql: string, limit: number): Promise<BoundedResult & { warnings: string[] }> {
    const m = await this.open();
    await this.refresh(m);
    const { con } = m.db;
    let prepared;
    try {
      prepared = await m.lockdown.prepareReadOnly(con, sql);
    } catch (error) {
      if (error instanceof QueryRefused) throw error;
      throw new QueryFailed(`${(error as Error).message}\n\n${schemaHint(sql)}`);
    }
    try {
      const result = await m.bounded.runBounded(con, prepared, { limit, timeoutMs: this.options.timeoutSeconds * 1000 });
      return { ...result, warnings: [...this.failed.entries()].map(([id, why]) => `Export ${id} could not be read and is left out: ${why}`) };
    } catch (error) {
      if (error instanceof QueryTimedOut) throw error;
      const message = (error as Error).message;
      if (/out of memory/i.test(message)) {
        throw new QueryFailed(`${message.split("\n")[0]}\n\nThe query memory cap is ${this.options.memoryMb} MB (--query-memory-mb): aggregate, filter or limit earlier.`);
      }
      throw new QueryFailed(`${message}\n\n${schemaHint(sql)}`);
    } finally {
      prepared.destroySync();
    }
  }

  private async refresh(m: Modules): Promise<void> {
    const { store } = this.options;
    await store.sync();
    const current = new Map(store.list().map((e) => [e.jobId, e]));
    let changed = false;
    for (const jobId of [...this.loaded.keys()]) {
      if (current.has(jobId)) continue;
      await this.drop(m, jobId);
      changed = true;
    }
    for (const jobId of [...this.failed.keys()]) if (!current.has(jobId)) this.failed.delete(jobId);
    for (const entry of current.values()) {
      if (this.loaded.has(entry.jobId) || this.failed.has(entry.jobId)) continue;
      await this.load(m, entry);
      changed = true;
    }
    const stale = store.persistent && Date.now() - this.observationsReadAt > OBSERVATIONS_STALE_MS;
    if (this.observationsDirty || stale) {
      this.observationsDirty = false;
      this.observationsReadAt = Date.now();
      const [pages, lookups]: [Observed<AuditPage>[], Observed<Opportunity[]>[]] = await Promise.all([
        this.options.observations.auditPages(),
        this.options.observations.opportunityLookups(),
      ]);
      await m.events.loadAuditPages(m.db.con, pages);
      await m.opportunities.loadOpportunities(m.db.con, lookups);
      changed = true;
    }
    // Changed tables are compressed (and deleted rows' space reused) at a checkpoint.
    if (changed) await m.db.con.run("CHECKPOINT");
  }

  private async drop(m: Modules, jobId: string): Promise<void> {
    const { con } = m.db;
    await m.forecast.dropForecast(con, jobId);
    for (const table of ["exports", "people", "reports_to", "raw.activities", "raw.activity_accounts", "raw.activity_opportunities", "raw.activity_participants"]) {
      await con.run(`DELETE FROM ${table} WHERE export_id = $id`, { id: jobId });
    }
    await con.run("DELETE FROM raw.audit_rows WHERE source = $id", { id: jobId });
    this.loaded.delete(jobId);
  }

  private async load(m: Modules, entry: StoredExport): Promise<void> {
    const { con } = m.db;
    const started = Date.now();
    try {
      let rows: number;
      let timePeriod: string | undefined;
      if (entry.kind === "forecast") {
        const table = await this.options.tables.get(entry.jobId);
        ({ rows, timePeriod } = await m.forecast.loadForecast(con, entry, table));
      } else {
        const file = await this.options.store.read(entry.jobId);
        rows = entry.kind === "audit" ? await m.events.loadAuditExport(con, entry.jobId, file) : await m.events.loadActivityExport(con, entry.jobId, file);
      }
      const r = entry.request;
      const types = Array.isArray(r.typesToExport) ? r.typesToExport : Array.isArray(r.activityTypes) ? r.activityTypes : [];
      const { list, text, ts } = m.append;
      await m.append.appendRows(con, "exports", [
        [
          entry.jobId,
          entry.kind,
          str(r.forecastId),
          timePeriod ?? str(r.timePeriod),
          list(types.filter((t): t is string => typeof t === "string")),
          typeof r.includeHistorical === "boolean" ? r.includeHistorical : null,
          str(r.scopeId),
          text(str(r.currency)),
          ts(entry.completedAt),
          rows,
        ],
      ]);
      this.loaded.set(entry.jobId, entry);
      this.options.logger.debug(`query tables: loaded ${entry.kind} export ${entry.jobId} (${rows} rows) in ${Date.now() - started} ms`);
    } catch (error) {
      const why = (error as Error).message;
      this.failed.set(entry.jobId, why);
      this.options.logger.warn(`query tables: export ${entry.jobId} could not be loaded: ${why}`);
      await this.drop(m, entry.jobId).catch(() => undefined);
    }
  }
}
