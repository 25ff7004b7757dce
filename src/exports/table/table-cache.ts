/**
 * Normalised forecast tables in memory, for as long as something needs the whole JavaScript row
 * model: until the query engine has loaded the export (then its rows live there: one copy) and
 * its summary has been taken. After that a page of rows asks for the table again, which is parsed
 * from the stored file in one streaming pass and kept only a short while after its last use.
 * Bounded by a row budget, least recently used first out; summaries (small) are kept per export.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { ExportStore } from "../store/store.js";
import type { ForecastTable } from "./forecast-table.js";
import { readStoredForecast } from "./read-stored.js";

/** How long a table the engine already holds is kept after its last use (pages read in a row reuse it). */
const LINGER_MS = 30_000;

export class TableCache {
  private readonly tables = new Map<string, ForecastTable>();
  private readonly loading = new Map<string, Promise<ForecastTable>>();
  /** Exports whose rows the query engine holds. */
  private readonly inEngine = new Set<string>();
  private readonly summaries = new Map<string, unknown>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Opened once an export's summary is taken (or the export is forgotten): what summaryTaken waits on. */
  private readonly summaryGates = new Map<string, { taken: Promise<void>; open: () => void }>();

  constructor(
    private readonly store: ExportStore,
    private readonly maxRows = 5_000_000,
    /** --query-memory-mb: a stored export too large for it is refused when read (read/row-budget.ts). */
    private readonly queryMemoryMb?: number,
  ) {
    // An export leaving the store (expired, discarded) takes its table and summary with it.
    store.onChange(() => {
      for (const jobId of new Set([...this.tables.keys(), ...this.summaries.keys(), ...this.inEngine, ...this.summaryGates.keys()])) if (!store.get(jobId)) this.forget(jobId);
    });
  }

  /** The normalised table of a stored forecast export. */
  async get(jobId: string): Promise<ForecastTable> {
    const cached = this.tables.get(jobId);
    if (cached) {
      this.tables.delete(jobId);
      this.tables.set(jobId, cached); // most recently used goes last
      this.lingerIfLoaded(jobId);
      return cached;
    }
    let pending = this.loading.get(jobId);
    if (!pending) {
      pending = this.load(jobId).finally(() => this.loading.delete(jobId));
      this.loading.set(jobId, pending);
    }
    return pending;
  }

  /**
   * The table of an export being normalised as it downloads: asked for before it is ready, it is
   * waited for rather than parsed again from the file. A rejected table leaves nothing behind.
   */
  adopt(jobId: string, table: Promise<ForecastTable>): void {
    const pending: Promise<ForecastTable> = table
      .then((ready) => this.keep(jobId, ready))
      .finally(() => {
        if (this.loading.get(jobId) === pending) this.loading.delete(jobId);
      });
    pending.catch(() => undefined);
    this.loading.set(jobId, pending);
  }

  /** The table is in memory or on its way (from its download): reading it needs no file. */
  holds(jobId: string): boolean {
    return this.tables.has(jobId) || this.loading.has(jobId);
  }

  /** The query engine has loaded the export: the table goes once its summary is taken (or soon). */
  loaded(jobId: string): void {
    this.inEngine.add(jobId);
    if (this.summaries.has(jobId)) this.drop(jobId);
    else this.lingerIfLoaded(jobId);
  }

  /** A derived result of the export kept instead of its rows (its summary). */
  summary<T>(jobId: string): T | undefined {
    return this.summaries.get(jobId) as T | undefined;
  }

  /**
   * Resolves once the export's summary has been taken (the answer that needed it is on its way),
   * or after `ms`, or when the export is forgotten: the background load waits for it, so it never
   * holds up the export's own answer.
   */
  summaryTaken(jobId: string, ms: number): Promise<void> {
    if (this.summaries.has(jobId)) return Promise.resolve();
    let gate = this.summaryGates.get(jobId);
    if (!gate) {
      let open!: () => void;
      const taken = new Promise<void>((resolve) => (open = resolve));
      this.summaryGates.set(jobId, (gate = { taken, open }));
    }
    return Promise.race([gate.taken, delay(ms, undefined, { ref: false })]);
  }

  rememberSummary(jobId: string, summary: unknown): void {
    this.openSummaryGate(jobId);
    if (!this.store.get(jobId)) return;
    this.summaries.set(jobId, summary);
    if (this.inEngine.has(jobId)) this.drop(jobId);
  }

  /** Forget a table (its file was discarded). */
  forget(jobId: string): void {
    this.openSummaryGate(jobId);
    this.drop(jobId);
    this.loading.delete(jobId);
    this.inEngine.delete(jobId);
    this.summaries.delete(jobId);
  }

  /** How many whole tables are held (for tests and the bench). */
  get size(): number {
    return this.tables.size;
  }

  private async load(jobId: string): Promise<ForecastTable> {
    return this.keep(jobId, await readStoredForecast(this.store, jobId, this.queryMemoryMb));
  }

  private keep(jobId: string, table: ForecastTable): ForecastTable {
    this.tables.set(jobId, table);
    this.evict();
    this.lingerIfLoaded(jobId);
    return table;
  }

  private openSummaryGate(jobId: string): void {
    this.summaryGates.get(jobId)?.open();
    this.summaryGates.delete(jobId);
  }

  private drop(jobId: string): void {
    this.tables.delete(jobId);
    clearTimeout(this.timers.get(jobId));
    this.timers.delete(jobId);
  }

  /** A table the engine already holds stays only a short while after its last use. */
  private lingerIfLoaded(jobId: string): void {
    if (!this.inEngine.has(jobId) || !this.tables.has(jobId)) return;
    clearTimeout(this.timers.get(jobId));
    const timer = setTimeout(() => this.drop(jobId), LINGER_MS);
    timer.unref();
    this.timers.set(jobId, timer);
  }

  private evict(): void {
    let total = 0;
    for (const table of this.tables.values()) total += table.length;
    for (const [jobId, table] of this.tables) {
      if (total <= this.maxRows || this.tables.size <= 1) break;
      this.drop(jobId);
      total -= table.length;
    }
  }
}
