/**
 * A forecast download normalised as its (already scrubbed) bytes pass on to the store (on a
 * thread of its own, read/forecast-parse-thread.ts, where it is built): the
 * table is handed to the table cache, so neither the answer nor the background load into the
 * query engine parses the file again. The bytes the store writes are the same bytes. Should the
 * thread die before its table is ready, the stored file is parsed in process once it is stored
 * (checkStored): the download is not lost to a failure that says nothing about its bytes.
 */
import { Transform } from "node:stream";
import type { ExportDeps } from "../context.js";
import type { ForecastParseThread } from "../read/forecast-parse-thread.js";
import type { ForecastSink } from "../read/forecast-sink.js";
import type { ForecastTable } from "../table/forecast-table.js";
import { damageOf, type Damage } from "../read/damage.js";
import { readStoredForecast } from "../table/read-stored.js";

export interface ParseAlong {
  /** Passes every chunk on unchanged, feeding it to the normaliser first. */
  tap: Transform;
  /** The download failed: no table is kept. */
  fail(error: unknown): void;
  /**
   * The body has all come (and is not yet published): the damage that keeps it from being kept
   * (a parse error, a cut-off file), if any; throws a ForecastTooLargeError when its rows passed
   * the memory cap. "after-store" when the thread died first: call checkStored once it is stored.
   */
  finish(): Promise<Damage | undefined | "after-store">;
  /** After the thread died: the stored file parsed in process; its damage, if any. */
  checkStored(): Promise<Damage | undefined>;
  /**
   * The file is published: its table goes to the table cache now, not before (a cache that saw
   * a table for an export the store does not list yet would let it go).
   */
  published(): void;
}

/** `declaredBytes`: the body's Content-Length, when Clari sent one. */
export async function parseAlong(jobId: string, deps: ExportDeps, declaredBytes?: number): Promise<ParseAlong> {
  // The parsers load on the first forecast download, not at start-up.
  const { ForecastTooLargeError } = await import("../read/forecast-shape.js");
  const { ForecastParseThread, ParseThreadLost, THREAD_MIN_BYTES } = await import("../read/forecast-parse-thread.js");
  // A large body is parsed on a thread of its own where the built thread exists, else here.
  const options = { queryMemoryMb: deps.config.queryMemoryMb };
  const large = declaredBytes === undefined || declaredBytes >= THREAD_MIN_BYTES;
  const thread = large ? ForecastParseThread.start(options) : undefined;
  if (large && !thread) deps.logger.debug("forecast parse thread: no built thread found; the download is parsed in process");
  const sink: ForecastParseThread | ForecastSink = thread ?? new (await import("../read/forecast-sink.js")).ForecastSink(options);
  let parseError: Error | undefined;
  /** The whole table, held until the file is published. */
  let ready: ForecastTable | undefined;
  let settle!: { resolve: (table: ForecastTable) => void; reject: (error: unknown) => void };
  deps.tables.adopt(jobId, new Promise<ForecastTable>((resolve, reject) => (settle = { resolve, reject })));
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (parseError) return done(null, chunk);
      try {
        sink.write(chunk);
      } catch (error) {
        // Too many rows for the memory cap: the download stops here, before the memory is spent.
        if (error instanceof ForecastTooLargeError) return done(error);
        // Kept as the damage; the bytes still flow so the download ends the way it always has.
        parseError = error as Error;
        return done(null, chunk);
      }
      sink.ready().then(() => done(null, chunk), done);
    },
  });
  return {
    tap,
    fail(error) {
      sink.abort();
      settle.reject(error);
    },
    async finish() {
      let table: ForecastTable;
      try {
        if (parseError) throw parseError;
        table = await sink.finish();
      } catch (error) {
        if (!(error instanceof ParseThreadLost)) return settleWith(undefined, error);
        deps.logger.warn(`export ${jobId}: ${error.message}; its stored file is parsed in process instead`);
        return "after-store";
      }
      return settleWith(table);
    },
    async checkStored() {
      let damage: Damage | undefined;
      try {
        damage = await settleWith(await readStoredForecast(deps.store, jobId, deps.config.queryMemoryMb, { onThread: false }));
      } catch (error) {
        damage = await settleWith(undefined, error);
      }
      if (!damage) published();
      return damage;
    },
    published,
  };

  function published(): void {
    if (ready) settle.resolve(ready);
    ready = undefined;
  }

  /** The table's damage, if any (or the parse's error as the damage); the table cache is told either way. */
  async function settleWith(table: ForecastTable | undefined, failure?: unknown): Promise<Damage | undefined> {
    let damage: Damage | undefined;
    try {
      if (!table) throw failure;
      damage = damageOf(table);
      if (!damage) {
        ready = table;
        return undefined;
      }
    } catch (error) {
      settle.reject(error);
      // Too many rows, found once the last bytes were parsed (on the parse thread): refused, not damaged.
      if (error instanceof ForecastTooLargeError) throw error;
      damage = { why: (error as Error).message.slice(0, 200), notAnExport: false };
    }
    settle.reject(new Error(`export ${jobId} was damaged: ${damage.why}`));
    return damage;
  }
}
