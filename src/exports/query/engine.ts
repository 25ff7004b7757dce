/**
 * The query engine behind clari_query. Everything stored for this credential is kept in the
 * contract's tables (contract.ts) in one immutable DuckDB file per generation, written by the
 * server's own writer (generations.ts): before each query, exports new in the store are loaded
 * once, exports that left it are dropped, audit pages, opportunity lookups and forecast reads are
 * replaced when new ones were read, and that makes the next generation. Callers' SQL never reaches the writer:
 * it runs in the query worker (query-worker.ts) on a READ_ONLY, locked reader of the generation,
 * one connection per query, bounded in rows, bytes, memory and time; callers take turns
 * (fair-queue.ts). DuckDB, the loaders and the worker start on the first query, never at start-up.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AuditPage, Opportunity } from "../../client/schemas.js";
import type { Logger } from "../../logger.js";
import type { AuditRow } from "../../state/backend.js";
import type { CrmRead } from "../observed/crm-read.js";
import type { Observations, Observed } from "../store/observations.js";
import type { ExportStore, StoredExport } from "../store/store.js";
import type { TableCache } from "../table/table-cache.js";
import { schemaHint } from "./contract.js";
import { QueryFailed, QueryRefused, QueryTimedOut } from "./errors.js";
import { FairQueue } from "./fair-queue.js";
import { QueryWorker, type WorkerAnswer } from "./query-worker.js";
import type { BoundedResult } from "./reader/run-bounded.js";
import { sourceWarnings } from "./source-warnings.js";
import type { CallTuple } from "./worker/protocol.js";

export interface QueryEngineOptions {
  store: ExportStore;
  tables: TableCache;
  observations: Observations;
  logger: Logger;
  timeoutSeconds: number;
  memoryMb: number;
  /** Queries running at once, callers taking turns (each caller runs one at a time). */
  concurrency?: number;
  /** Bytes of one cell and of a whole answer. */
  cellBytes?: number;
  totalBytes?: number;
  /** Where the query tables are kept for the next process (the store's folder); none in memory mode. */
  folder?: string | undefined;
  /** The friendly statement check (lockdown.ts); off only in the test that proves it is not what keeps the data safe. */
  statementCheck?: boolean;
  /** Queries in this process rather than in the worker process (query-worker.ts). */
  inProcess?: boolean;
  /** How long an export that failed to load for a reason not its own waits before it is tried again. */
  retryLoadMs?: number;
}

export interface QueryOptions {
  /** Who asks: a named token or signed-in person; callers take turns. */
  caller?: string;
  signal?: AbortSignal;
  /**
   * The audit rows this caller may see as mcp_calls (newest first, at most CALLS_ROWS): read only
   * when the SQL names the table; without it mcp_calls does not exist for the query.
   */
  calls?: (limit: number) => Promise<AuditRow[]>;
}

/** Rows, warnings (what may mislead in them), and the definitions of the named metrics used. */
export type QueryAnswer = Omit<BoundedResult, "bytesNote"> & { warnings: string[]; definitions: string[] };

export const DEFAULT_ROWS = 50;
export const MAX_ROWS = 500;
export const CELL_BYTES = 4096;
export const TOTAL_BYTES = 128 * 1024;
/** mcp_calls holds at most this many rows (the newest). */
export const CALLS_ROWS = 50_000;
/** A stored export is loaded this long after it lands (and its summary is taken): its answer goes out first. */
const LOAD_DELAY_MS = 10;
/** The background load waits at most this long for a new forecast's summary (an answer may never ask for it). */
const SUMMARY_WAIT_MS = 2000;
/** Another process sharing the store may have read pages meanwhile: look again this often. */
const OBSERVATIONS_STALE_MS = 30_000;
/** An export that failed to load for a reason not its own (a full disk, say) is tried again after this, doubling each time up to MAX_RETRY_LOAD_MS. */
const RETRY_LOAD_MS = 30_000;
const MAX_RETRY_LOAD_MS = 3_600_000;
/** Failures that say the export itself cannot be read (it is not tried again while it is stored). */
const EXPORT_AT_FAULT = new Set(["ForecastParseError", "ForecastTooLargeError", "SyntaxError", "StoredFileDamaged"]);

/** The stored file no longer holds the bytes it was stored with. */
class StoredFileDamaged extends Error {
  override readonly name = "StoredFileDamaged";
}

/** What one refresh changed, taken in only once its generation is made. */
interface RefreshChanges {
  loaded: Map<string, StoredExport>;
  dropped: Set<string>;
  failed: Map<string, Failure>;
  /** Forecasts now in the engine, whose JavaScript tables may go. */
  inEngine: string[];
}

interface Failure {
  why: string;
  /** When to try again; undefined: not while the export is stored. */
  retryAt: number | undefined;
}

type Writer = Awaited<ReturnType<typeof loadWriter>>;

async function loadWriter(memoryMb: number, folder: string | undefined) {
  const [generations, forecast, events, opportunities, crm, append] = await Promise.all([
    import("./generations.js"),
    import("./load-forecast.js"),
    import("./load-events.js"),
    import("./load-opportunities.js"),
    import("./load-crm.js"),
    import("./append.js"),
  ]);
  return { generations: new generations.Generations(memoryMb, folder), forecast, events, opportunities, crm, append };
}

function callTuple(r: AuditRow): CallTuple {
  return [r.id, r.at, r.caller, r.callerName ?? null, r.tool, r.args, r.outcome, r.error ?? null, r.quotaSpent, r.ms];
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

export class QueryEngine {
  private writer: Promise<Writer> | undefined;
  private readonly worker: QueryWorker;
  private readonly turns: FairQueue;
  /** Refreshes one at a time; each query waits for the one that takes in what it should see. */
  private refreshing: Promise<number> = Promise.resolve(0);
  private generation = 0;
  /** jobId -> the entry loaded. */
  private readonly loaded = new Map<string, StoredExport>();
  /** Exports that could not be loaded (not retried every query). */
  private readonly failed = new Map<string, Failure>();
  /** Loads failed in a row for a reason not the export's own, per export: the wait before the next doubles. */
  private readonly loadAttempts = new Map<string, number>();
  private observationsDirty = true;
  private observationsReadAt = 0;

  constructor(private readonly options: QueryEngineOptions) {
    this.worker = new QueryWorker({ memoryMb: options.memoryMb, threads: 1, logger: options.logger, inProcess: options.inProcess ?? false });
    this.turns = new FairQueue(options.concurrency ?? 2);
    // An export that lands is loaded in the background, so the question that follows the export
    // call finds it loaded (the engine starts when the first export is waited on, lands, or the
    // first question comes, never at start-up).
    options.store.onChange(() => this.loadSoon());
  }

  private loadTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Takes in the store's change shortly (after the export's own answer has gone out). */
  private loadSoon(): void {
    if (this.loadTimer || this.closed) return;
    this.loadTimer = setTimeout(async () => {
      // A forecast whose rows came with its download: its answer summarises the same table, and
      // goes out before the load takes the thread (a question asked meanwhile loads it at once).
      const landing = this.options.store.list().filter((e) => e.kind === "forecast" && !this.loaded.has(e.jobId) && this.options.tables.holds(e.jobId));
      if (landing.length > 0) {
        await Promise.all(landing.map((e) => this.options.tables.summaryTaken(e.jobId, SUMMARY_WAIT_MS)));
        await new Promise((resolve) => setTimeout(resolve, LOAD_DELAY_MS));
      }
      this.loadTimer = undefined;
      if (this.closed) return;
      this.refreshing = this.refreshing
        .catch(() => this.generation)
        .then(() => this.refresh())
        .catch((error: unknown) => {
          this.options.logger.warn(`query tables: loading in the background failed: ${(error as Error).message}`);
          return this.generation;
        });
    }, LOAD_DELAY_MS);
    this.loadTimer.unref();
  }

  static fromConfig(config: { queryTimeoutSeconds: number; queryMemoryMb: number }, parts: Omit<QueryEngineOptions, "timeoutSeconds" | "memoryMb">): QueryEngine {
    return new QueryEngine({ ...parts, timeoutSeconds: config.queryTimeoutSeconds, memoryMb: config.queryMemoryMb });
  }

  /**
   * An export is on its way (a job is being waited on): load DuckDB, make the empty schema and
   * start the query worker now, so when it lands only reading its rows is left before the first
   * question is answered.
   */
  warmUp(): void {
    if (this.closed) return;
    void this.openWriter()
      .then((w) => w.generations.prepare())
      .catch((error: unknown) => this.options.logger.debug(`query engine: warming up failed (${(error as Error).message})`));
    void this.worker.prepare().catch(() => undefined);
  }

  /** An audit page or opportunity lookup was just recorded: reload them before the next query. */
  observationsChanged(): void {
    this.observationsDirty = true;
  }

  /** Runs one read-only query over the tables (after taking in what changed). */
  async query(sql: string, limit = DEFAULT_ROWS, options: QueryOptions = {}): Promise<QueryAnswer> {
    const generation = await (this.refreshing = this.refreshing.catch(() => this.generation).then(() => this.refresh()));
    const bounds = { limit: Math.min(Math.max(1, limit), MAX_ROWS), cellBytes: this.options.cellBytes ?? CELL_BYTES, totalBytes: this.options.totalBytes ?? TOTAL_BYTES };
    let result: WorkerAnswer;
    const notes: string[] = [];
    try {
      result = await this.turns.run(options.caller ?? "", options.signal, async () => {
        const calls = options.calls && /mcp_calls/i.test(sql) ? (await options.calls(CALLS_ROWS)).map(callTuple) : undefined;
        if (calls?.length === CALLS_ROWS) notes.push(`mcp_calls holds the newest ${CALLS_ROWS} calls only.`);
        return this.worker.query(generation, sql, bounds, { statementCheck: this.options.statementCheck ?? true, timeoutMs: this.options.timeoutSeconds * 1000, signal: options.signal, calls });
      });
    } catch (error) {
      if (error instanceof QueryRefused || error instanceof QueryTimedOut) throw error;
      if (error instanceof QueryFailed && !/^Stopped:|memory bound/.test(error.message)) throw new QueryFailed(`${error.message}\n\n${schemaHint(sql)}`);
      throw error;
    }
    const { bytesNote, sources, ...table } = result;
    const warnings = [...this.failed.entries()].map(([id, { why, retryAt }]) =>
      retryAt === undefined ? `Export ${id} could not be read and is left out: ${why}` : `Export ${id} could not be loaded and is left out for now (tried again from ${new Date(retryAt).toISOString()}): ${why}`,
    );
    if (bytesNote) warnings.push(bytesNote);
    const traced = sources ? sourceWarnings(sources, table.columns.map((c) => c.name)) : { warnings: [], definitions: [] };
    return { ...table, warnings: [...warnings, ...notes, ...traced.warnings], definitions: traced.definitions };
  }

  /** The query worker's process id (tests read its memory), once a query started it. */
  get workerPid(): number | undefined {
    return this.worker.pid;
  }

  /** Stops the worker and any load in progress, and removes the generation files. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.worker.close();
    await (await this.writer?.catch(() => undefined))?.generations.close();
  }

  private openWriter(): Promise<Writer> {
    this.writer ??= loadWriter(this.options.memoryMb, this.options.folder).then(
      (w) => {
        this.options.logger.debug("query engine loaded (DuckDB)");
        return w;
      },
      (error: unknown) => {
        this.writer = undefined;
        throw error;
      },
    );
    return this.writer;
  }

  /** Takes in what changed since the current generation; returns the generation to query. */
  private async refresh(keptRefused = false): Promise<number> {
    const { store } = this.options;
    await store.sync();
    const current = new Map(store.list().map((e) => [e.jobId, e]));
    const now = Date.now();
    for (const [jobId, failure] of [...this.failed]) if (!current.has(jobId) || (failure.retryAt !== undefined && failure.retryAt <= now)) this.failed.delete(jobId);
    for (const jobId of [...this.loadAttempts.keys()]) if (!current.has(jobId)) this.loadAttempts.delete(jobId);
    const gone = [...this.loaded.keys()].filter((jobId) => !current.has(jobId));
    const added = [...current.values()].filter((e) => !this.loaded.has(e.jobId) && !this.failed.has(e.jobId));
    const stale = store.persistent && Date.now() - this.observationsReadAt > OBSERVATIONS_STALE_MS;
    const observations = this.observationsDirty || stale;
    if (this.generation > 0 && gone.length === 0 && added.length === 0 && !observations) return this.generation;
    const w = await this.openWriter();
    let pages: Observed<AuditPage>[] = [];
    let lookups: Observed<Opportunity[]>[] = [];
    let reads: Observed<CrmRead>[] = [];
    if (observations) {
      this.observationsDirty = false;
      this.observationsReadAt = Date.now();
      const o = this.options.observations;
      [pages, lookups, reads] = await Promise.all([o.auditPages(), o.opportunityLookups(), o.forecastReads()]);
    }
    // Taken in once the generation is made: a generation that fails (its disk full) changes nothing.
    const changes: RefreshChanges = { loaded: new Map(), dropped: new Set(), failed: new Map(), inEngine: [] };
    let made: { generation: number; file: string };
    try {
      made = await w.generations.next(async (con, fresh) => {
        if (this.generation === 0 && !fresh) {
          // Started from the generation a previous process kept: what it holds is loaded already.
          const kept = (await con.runAndReadAll("SELECT export_id FROM exports")).getRows().map((r) => String(r[0]));
          for (const jobId of kept) {
            if (current.has(jobId)) changes.loaded.set(jobId, current.get(jobId) as StoredExport);
            else gone.push(jobId);
          }
          added.splice(0, added.length, ...added.filter((e) => !changes.loaded.has(e.jobId)));
          if (kept.length > 0) this.options.logger.debug(`query tables: ${kept.length} export(s) kept from an earlier run`);
        }
        for (const jobId of gone) await this.drop(w, con, jobId, changes);
        for (const entry of added) await this.load(w, con, entry, changes);
        if (observations) {
          await w.events.loadAuditPages(con, pages);
          await w.opportunities.loadOpportunities(con, lookups);
          await w.crm.loadCrmReads(con, reads);
        }
      });
    } catch (error) {
      // The observations are read again next time; the exports were never taken in.
      if (observations) this.observationsDirty = true;
      if ((error as Error).name !== "KeptCopyRefused" || keptRefused || this.closed) throw error;
      // Set aside: the next generation starts from an empty schema and loads every stored export (once).
      this.options.logger.warn(`query tables: ${(error as Error).message}`);
      return this.refresh(true);
    }
    for (const jobId of changes.dropped) this.loaded.delete(jobId);
    for (const [jobId, entry] of changes.loaded) this.loaded.set(jobId, entry);
    for (const [jobId, failure] of changes.failed) this.failed.set(jobId, failure);
    for (const jobId of changes.loaded.keys()) this.loadAttempts.delete(jobId);
    // The engine holds the rows now: the JavaScript copy goes (once its summary is taken).
    for (const jobId of changes.inEngine) this.options.tables.loaded(jobId);
    await this.worker.open(made.generation, made.file);
    this.generation = made.generation;
    return made.generation;
  }

  private async drop(w: Writer, con: DuckDBConnection, jobId: string, changes: RefreshChanges): Promise<void> {
    await w.forecast.dropForecast(con, jobId);
    for (const table of ["raw.exports", "raw.people", "raw.reports_to", "raw.activities", "raw.activity_accounts", "raw.activity_opportunities", "raw.activity_participants"]) {
      await con.run(`DELETE FROM ${table} WHERE export_id = $id`, { id: jobId });
    }
    await con.run("DELETE FROM raw.audit_rows WHERE source = $id", { id: jobId });
    changes.loaded.delete(jobId);
    changes.dropped.add(jobId);
  }

  private async load(w: Writer, con: DuckDBConnection, entry: StoredExport, changes: RefreshChanges): Promise<void> {
    const started = Date.now();
    try {
      // A file cut short on disk would load as part of an export, with nothing to say so (a table
      // its download made is whole, whatever became of the file since).
      const fromFile = entry.kind !== "forecast" || !this.options.tables.holds(entry.jobId);
      if (fromFile && !(await this.options.store.isWhole(entry))) throw new StoredFileDamaged(`its stored file no longer holds the ${entry.bytes} bytes it was stored with (damaged on disk); export it again`);
      let rows: number;
      let timePeriod: string | undefined;
      if (entry.kind === "forecast") {
        const table = await this.options.tables.get(entry.jobId);
        ({ rows, timePeriod } = await w.forecast.loadForecast(con, entry, table));
      } else {
        const file = await this.options.store.read(entry.jobId);
        rows = entry.kind === "audit" ? await w.events.loadAuditExport(con, entry.jobId, file) : await w.events.loadActivityExport(con, entry.jobId, file);
      }
      const r = entry.request;
      const types = Array.isArray(r.typesToExport) ? r.typesToExport : Array.isArray(r.activityTypes) ? r.activityTypes : [];
      const { list, text, ts } = w.append;
      await w.append.appendRows(con, "raw.exports", [
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
      changes.loaded.set(entry.jobId, entry);
      changes.dropped.delete(entry.jobId);
      if (entry.kind === "forecast") changes.inEngine.push(entry.jobId);
      this.options.logger.debug(`query tables: loaded ${entry.kind} export ${entry.jobId} (${rows} rows) in ${Date.now() - started} ms`);
    } catch (error) {
      const why = (error as Error).message;
      // A failure that is not the export's own (a full disk, the engine's memory) is tried again
      // later, waiting twice as long after each failure in a row.
      const atFault = EXPORT_AT_FAULT.has((error as Error).name);
      const attempts = (this.loadAttempts.get(entry.jobId) ?? 0) + 1;
      if (!atFault) this.loadAttempts.set(entry.jobId, attempts);
      const wait = Math.min(MAX_RETRY_LOAD_MS, (this.options.retryLoadMs ?? RETRY_LOAD_MS) * 2 ** (attempts - 1));
      changes.failed.set(entry.jobId, { why, retryAt: atFault ? undefined : Date.now() + wait });
      this.options.logger.warn(`query tables: export ${entry.jobId} could not be loaded: ${why}`);
      // Its rows written so far go; should that fail too, so does the generation (a retry would add them twice).
      await this.drop(w, con, entry.jobId, changes);
      changes.dropped.delete(entry.jobId);
    }
  }
}
