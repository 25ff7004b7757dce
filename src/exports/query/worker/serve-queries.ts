/**
 * The query worker's work, apart from how messages arrive (worker-main.ts wires it to the IPC
 * channel; tests running from source call it in process): one READ_ONLY reader per generation,
 * one connection per query, interrupts by query id.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { QueryRefused } from "../errors.js";
import { prepareReadOnly } from "../lockdown.js";
import { openReader } from "../reader/open-reader.js";
import { checkFunctions } from "../reader/function-check.js";
import { runBounded } from "../reader/run-bounded.js";
import { generationFacts, type GenerationFacts } from "../reader/generation-facts.js";
import { mayTrace, traceSources, type Sources } from "../reader/trace-sources.js";
import { stopAppends } from "../append.js";
import { createCallsTable } from "./calls-table.js";
import type { FromWorker, QueryFailure, ToWorker } from "./protocol.js";

interface Generation {
  instance: DuckDBInstance;
  running: number;
  /** Read as the generation opens (readFactsAhead), else by the first traced query (a generation never changes). */
  facts?: Promise<GenerationFacts>;
  /** Whole traces by SQL text: the same query over the same generation reads the same rows. */
  traces: Map<string, Sources>;
}

export interface QueryService {
  handle(message: ToWorker): void;
  close(): void;
}

/** The most time spent tracing a query's sources, and the margin kept before its time limit. */
const TRACE_MS = 3000;
const TRACE_MARGIN_MS = 500;

/** Traces kept per generation (the oldest goes first). */
const TRACES_KEPT = 64;

/** The longest error message sent back. */
const MAX_ERROR = 2000;

/** Words in DuckDB's messages that say the memory bound was hit. */
const MEMORY = /out of memory|bad allocation|failed to allocate/i;

function keepTrace(traces: Map<string, Sources>, sql: string, sources: Sources): void {
  traces.set(sql, sources);
  if (traces.size > TRACES_KEPT) traces.delete(traces.keys().next().value as string);
}

export function serveQueries(send: (message: FromWorker) => void, options: { memoryMb: number; threads: number; scrub: (text: string) => string; onIdle?: () => void }): QueryService {
  const generations = new Map<number, Generation>();
  /** Generations being opened or open (the server may ask twice: once as it starts this worker, once itself). */
  const opening = new Map<number, Promise<string | undefined>>();
  const running = new Map<number, DuckDBConnection>();
  /** Queries begun and not yet answered, and those of them asked to stop: an interrupt between two statements reaches none. */
  const live = new Set<number>();
  const interrupted = new Set<number>();
  /** Traces running beside their query, by the query's id: stopped with it, even before their connection is open. */
  const tracing = new Map<number, { con: DuckDBConnection | undefined; stopped: boolean }>();
  const stopTrace = (id: number): void => {
    const beside = tracing.get(id);
    if (!beside) return;
    beside.stopped = true;
    beside.con?.interrupt();
  };
  let newest = 0;

  const closeIdle = (): void => {
    for (const [n, g] of generations) {
      if (n < newest && g.running === 0) {
        g.instance.closeSync();
        generations.delete(n);
        opening.delete(n);
      }
    }
  };

  const failure = (error: unknown): QueryFailure => {
    // A message can be as large as a query makes it (error(repeat(...))): cut before anything else.
    const raw = error instanceof Error ? error.message : String(error);
    const message = options.scrub(raw.length > MAX_ERROR ? `${raw.slice(0, MAX_ERROR)}… (cut at ${MAX_ERROR} characters)` : raw);
    if (error instanceof QueryRefused) return { kind: "refused", message };
    if (/INTERRUPT/i.test(message)) return { kind: "interrupted", message };
    if (MEMORY.test(message)) return { kind: "memory", message };
    return { kind: "failed", message };
  };

  function open(generation: number, file: string): void {
    let done = opening.get(generation);
    if (!done) opening.set(generation, (done = openGeneration(generation, file)));
    void done.then((error) => send(error === undefined ? { type: "opened", generation } : { type: "opened", generation, error }));
  }

  /** Opens a generation once; resolves with the error's message when it could not be (it may then be asked again). */
  async function openGeneration(generation: number, file: string): Promise<string | undefined> {
    try {
      const opened: Generation = { instance: await openReader(file, options.memoryMb, options.threads), running: 0, traces: new Map() };
      generations.set(generation, opened);
      newest = Math.max(newest, generation);
      closeIdle();
      readFactsAhead(opened);
      return undefined;
    } catch (error) {
      opening.delete(generation);
      return options.scrub((error as Error).message);
    }
  }

  /** The generation's facts, read once (on `con`, unless a read is under way); undefined when they could not be read, which the next asker tries again. */
  function factsOf(generation: Generation, con: DuckDBConnection): Promise<GenerationFacts | undefined> {
    return (generation.facts ??= generationFacts(con)).catch(() => {
      generation.facts = undefined;
      return undefined;
    });
  }

  /**
   * The generation's facts are read as soon as it opens, on a connection of their own, so the
   * first query's trace does not wait for them (it runs beside that query, or right after it).
   */
  function readFactsAhead(generation: Generation): void {
    generation.running++;
    void (async () => {
      const con = await generation.instance.connect();
      try {
        await factsOf(generation, con);
      } finally {
        con.closeSync();
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        generation.running--;
        closeIdle();
      });
  }

  /**
   * What `sql` read, within what is left of `budget` ms once the generation's facts are in;
   * undefined when they could not be read, or the query was stopped while they were read (perhaps
   * on another connection, which its interrupt does not reach).
   */
  async function trace(generation: Generation, con: DuckDBConnection, sql: string, budget: number, stopped: () => boolean = () => false): Promise<Sources | undefined> {
    const started = Date.now();
    const facts = await factsOf(generation, con);
    return facts && !stopped() ? traceSources(con, sql, budget - (Date.now() - started), facts) : undefined;
  }

  /** A trace on a connection of its own, interrupted with its query (by id). */
  async function traceBeside(generation: Generation, id: number, sql: string, budget: number): Promise<Sources | undefined> {
    const beside: { con: DuckDBConnection | undefined; stopped: boolean } = { con: undefined, stopped: false };
    tracing.set(id, beside);
    try {
      const con = (beside.con = await generation.instance.connect());
      return beside.stopped ? undefined : await trace(generation, con, sql, budget, () => beside.stopped);
    } catch {
      return undefined;
    } finally {
      tracing.delete(id);
      beside.con?.closeSync();
    }
  }

  async function query(message: Extract<ToWorker, { type: "query" }>): Promise<void> {
    const generation = generations.get(message.generation);
    if (!generation) {
      send({ type: "error", id: message.id, error: { kind: "failed", message: `generation ${message.generation} is not open` } });
      return;
    }
    generation.running++;
    live.add(message.id);
    // Asked to stop while no statement of this query ran (connecting, between two statements).
    const stopIfInterrupted = (): void => {
      if (interrupted.has(message.id)) throw new Error("INTERRUPT Error: Interrupted!");
    };
    let con: DuckDBConnection | undefined;
    try {
      con = await generation.instance.connect();
      running.set(message.id, con);
      stopIfInterrupted();
      // Before the caller's SQL: the audit rows this caller may see, on this connection only.
      if (message.calls) await createCallsTable(con, message.calls);
      stopIfInterrupted();
      const started = Date.now();
      const checked = con;
      const prepared = message.statementCheck ? await prepareReadOnly(con, message.sql, () => checkFunctions(checked, message.sql)) : await con.prepare(message.sql);
      if (interrupted.has(message.id)) {
        prepared.destroySync();
        stopIfInterrupted();
      }
      // Tracing what the query read may take what is left of its time, less a margin, at most TRACE_MS.
      const budget = (): number => Math.min(TRACE_MS, message.timeoutMs - (Date.now() - started) - TRACE_MARGIN_MS);
      // Once the statement passed its check, the trace runs beside it on a connection of its own
      // (DuckDB runs each connection's query on its own thread). A query over the caller's own
      // mcp_calls is traced after it, on its connection: only that connection has the table.
      const kept = generation.traces.get(message.sql);
      const beside = !kept && !message.calls && mayTrace(message.sql) ? traceBeside(generation, message.id, message.sql, budget()) : undefined;
      let result;
      try {
        result = await runBounded(prepared, message.bounds).catch(async (error: unknown) => {
          stopTrace(message.id);
          await beside;
          // The trace shared the memory bound: a query that ran out of memory beside it runs again alone.
          if (!beside || failure(error).kind !== "memory") throw error;
          return runBounded(prepared, message.bounds);
        });
      } finally {
        prepared.destroySync();
      }
      let sources = kept ?? (await beside);
      if (!sources && !kept && message.calls && mayTrace(message.sql)) sources = await trace(generation, con, message.sql, budget());
      // Not kept: a trace cut short (the next may finish), or one that read the caller's own mcp_calls.
      if (sources?.traced && !kept && !message.calls) keepTrace(generation.traces, message.sql, sources);
      send({ type: "result", id: message.id, result, ...(sources ? { sources } : {}) });
    } catch (error) {
      send({ type: "error", id: message.id, error: failure(error) });
    } finally {
      running.delete(message.id);
      live.delete(message.id);
      interrupted.delete(message.id);
      con?.closeSync();
      generation.running--;
      closeIdle();
      if (running.size === 0) options.onIdle?.();
    }
  }

  return {
    handle(message) {
      if (message.type === "open") open(message.generation, message.file);
      else if (message.type === "query") void query(message);
      else {
        if (live.has(message.id)) interrupted.add(message.id);
        const con = running.get(message.id);
        con?.interrupt();
        // The mcp_calls rows being appended stop at the load's next turn (append.ts).
        if (con) stopAppends(con);
        stopTrace(message.id);
      }
    },
    close() {
      for (const con of running.values()) con.interrupt();
      for (const id of tracing.keys()) stopTrace(id);
      for (const g of generations.values()) g.instance.closeSync();
      generations.clear();
    },
  };
}
