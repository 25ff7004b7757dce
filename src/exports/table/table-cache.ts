/**
 * Normalised forecast tables kept in memory for the query tool and the row resources, so a
 * stored export is parsed once per process. Bounded by a row budget, least recently used first out.
 */
import type { ExportStore } from "../store/store.js";
import type { ForecastTable } from "./forecast-table.js";

export class TableCache {
  private readonly tables = new Map<string, ForecastTable>();
  private readonly loading = new Map<string, Promise<ForecastTable>>();

  constructor(
    private readonly store: ExportStore,
    private readonly maxRows = 5_000_000,
  ) {
    // An export leaving the store (expired, discarded) takes its table with it.
    store.onChange(() => {
      for (const jobId of this.tables.keys()) if (!store.get(jobId)) this.tables.delete(jobId);
    });
  }

  /** The normalised table of a stored forecast export. */
  async get(jobId: string): Promise<ForecastTable> {
    const cached = this.tables.get(jobId);
    if (cached) {
      this.tables.delete(jobId);
      this.tables.set(jobId, cached); // most recently used goes last
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
      .then((ready) => {
        this.tables.set(jobId, ready);
        this.evict();
        return ready;
      })
      .finally(() => {
        if (this.loading.get(jobId) === pending) this.loading.delete(jobId);
      });
    pending.catch(() => undefined);
    this.loading.set(jobId, pending);
  }

  /** Forget a table (its file was discarded). */
  forget(jobId: string): void {
    this.tables.delete(jobId);
    this.loading.delete(jobId);
  }

  private async load(jobId: string): Promise<ForecastTable> {
    // The parsers (csv-parse, the streaming JSON reader) load on first use, not at start-up.
    const { normaliseForecast, normaliseForecastFile } = await import("../read/normalise-forecast.js");
    const localPath = await this.store.localPath(jobId);
    const table = localPath ? await normaliseForecastFile(localPath) : normaliseForecast(await this.store.read(jobId));
    this.tables.set(jobId, table);
    this.evict();
    return table;
  }

  private evict(): void {
    let total = 0;
    for (const table of this.tables.values()) total += table.length;
    for (const [jobId, table] of this.tables) {
      if (total <= this.maxRows || this.tables.size <= 1) break;
      this.tables.delete(jobId);
      total -= table.length;
    }
  }
}
