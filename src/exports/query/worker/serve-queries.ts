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
import { createCallsTable } from "./calls-table.js";
import type { FromWorker, QueryFailure, ToWorker } from "./protocol.js";

interface Generation {
  instance: DuckDBInstance;
  running: number;
}

export interface QueryService {
  handle(message: ToWorker): void;
  close(): void;
}

/** The longest error message sent back. */
const MAX_ERROR = 2000;

/** Words in DuckDB's messages that say the memory bound was hit. */
const MEMORY = /out of memory|bad allocation|failed to allocate/i;

export function serveQueries(send: (message: FromWorker) => void, options: { memoryMb: number; threads: number; scrub: (text: string) => string; onIdle?: () => void }): QueryService {
  const generations = new Map<number, Generation>();
  const running = new Map<number, DuckDBConnection>();
  let newest = 0;

  const closeIdle = (): void => {
    for (const [n, g] of generations) {
      if (n < newest && g.running === 0) {
        g.instance.closeSync();
        generations.delete(n);
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

  async function open(generation: number, file: string): Promise<void> {
    try {
      generations.set(generation, { instance: await openReader(file, options.memoryMb, options.threads), running: 0 });
      newest = Math.max(newest, generation);
      closeIdle();
      send({ type: "opened", generation });
    } catch (error) {
      send({ type: "opened", generation, error: options.scrub((error as Error).message) });
    }
  }

  async function query(message: Extract<ToWorker, { type: "query" }>): Promise<void> {
    const generation = generations.get(message.generation);
    if (!generation) {
      send({ type: "error", id: message.id, error: { kind: "failed", message: `generation ${message.generation} is not open` } });
      return;
    }
    generation.running++;
    let con: DuckDBConnection | undefined;
    try {
      con = await generation.instance.connect();
      running.set(message.id, con);
      // Before the caller's SQL: the audit rows this caller may see, on this connection only.
      if (message.calls) await createCallsTable(con, message.calls);
      const checked = con;
      const prepared = message.statementCheck ? await prepareReadOnly(con, message.sql, () => checkFunctions(checked, message.sql)) : await con.prepare(message.sql);
      try {
        send({ type: "result", id: message.id, result: await runBounded(prepared, message.bounds) });
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      send({ type: "error", id: message.id, error: failure(error) });
    } finally {
      running.delete(message.id);
      con?.closeSync();
      generation.running--;
      closeIdle();
      if (running.size === 0) options.onIdle?.();
    }
  }

  return {
    handle(message) {
      if (message.type === "open") void open(message.generation, message.file);
      else if (message.type === "query") void query(message);
      else running.get(message.id)?.interrupt();
    },
    close() {
      for (const con of running.values()) con.interrupt();
      for (const g of generations.values()) g.instance.closeSync();
      generations.clear();
    },
  };
}
