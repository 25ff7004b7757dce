/**
 * The server's side of the query worker (worker/worker-main.ts): a child process that holds the
 * READ_ONLY readers and runs callers' SQL, started on the first query with a data-size limit of
 * the query memory cap plus a fixed overhead (RLIMIT_DATA through the shell's `ulimit -d`, where
 * there is a POSIX shell), so a list, a string or an unnest that DuckDB's own memory_limit does
 * not count still cannot grow the process past it. A query that ignores its interrupt for
 * GRACE_MS is stopped by killing the worker; the queries it held for others are sent again to
 * the next one (the data is on disk: a new worker opens it in milliseconds, nothing is reloaded).
 * Run from source with no built worker (the fast tests), the same service runs in process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../logger.js";
import { withoutLogLabel } from "../../logger.js";
import { firstExisting } from "../../package-file.js";
import { QueryFailed, QueryRefused, QueryTimedOut } from "./errors.js";
import type { BoundedResult, Bounds } from "./reader/run-bounded.js";
import type { Sources } from "./reader/trace-sources.js";
import type { CallTuple, FromWorker, QueryFailure, ToWorker } from "./worker/protocol.js";

/** How long a query may ignore an interrupt before its worker is killed. */
export const GRACE_MS = 2000;
/** The worker's own needs beyond the query cap: Node, DuckDB's code and a query's result. */
export const WORKER_OVERHEAD_MB = 512;

/** The bundled worker beside dist/cli.js (seen from dist/ or dist/chunks/), tsc's dist/ layout, or the build from the sources. */
const WORKER_PATHS = ["./query-worker.js", "../query-worker.js", "../../query-worker.js", "../../../dist/query-worker.js"];

export interface QueryWorkerOptions {
  memoryMb: number;
  threads: number;
  logger: Logger;
  /** Serve queries in this process even where a built worker exists (the fast tests: the sources, no child process). */
  inProcess?: boolean;
}

/** A query's bounded rows, and what it read when that was traced. */
export type WorkerAnswer = BoundedResult & { sources?: Sources };

interface Pending {
  message: Extract<ToWorker, { type: "query" }>;
  resolve(result: WorkerAnswer): void;
  reject(error: Error): void;
  attempts: number;
  /** Set when this query is why the worker is being killed (its time ran out, or it was cancelled). */
  stopping?: Error;
}

interface Channel {
  send(message: ToWorker): void;
  kill(): void;
  /** Peak resident memory of the worker process (VmHWM), when it is a process. */
  child?: ChildProcess;
}

export class QueryWorker {
  private channel: Channel | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly opening = new Map<number, { resolve(): void; reject(error: Error): void }>();
  private latest: { generation: number; file: string } | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: QueryWorkerOptions) {}

  /** The worker's process id (undefined in process, or before the first query). */
  get pid(): number | undefined {
    return this.channel?.child?.pid;
  }

  /** Serve `file` as generation `generation` from now on. */
  async open(generation: number, file: string): Promise<void> {
    this.latest = { generation, file };
    await this.start();
    await this.sendOpen(generation, file);
  }

  /** Start the worker process now (an export is on its way), so a later open or query does not wait for it. */
  async prepare(): Promise<void> {
    await this.start();
  }

  query(generation: number, sql: string, bounds: Bounds, options: { statementCheck: boolean; timeoutMs: number; signal?: AbortSignal | undefined; calls?: CallTuple[] | undefined }): Promise<WorkerAnswer> {
    const id = this.nextId++;
    const message: ToWorker = { type: "query", id, generation, sql, bounds, statementCheck: options.statementCheck, timeoutMs: options.timeoutMs, ...(options.calls ? { calls: options.calls } : {}) };
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const entry: Pending = { message, resolve, reject, attempts: 0 };
      let grace: NodeJS.Timeout | undefined;
      const stop = (error: Error): void => {
        if (!this.pending.has(id) || entry.stopping) return;
        entry.stopping = error;
        this.channel?.send({ type: "interrupt", id });
        grace = setTimeout(() => {
          this.options.logger.warn(`query worker: a query ignored its interrupt for ${GRACE_MS} ms; restarting the worker`);
          this.restart();
        }, GRACE_MS);
        grace.unref();
      };
      const timer = setTimeout(() => stop(new QueryTimedOut(`Stopped: the query ran past the ${Math.round(options.timeoutMs / 1000)} s time limit (--query-timeout-seconds). Filter earlier, aggregate, or avoid cross joins and huge lists.`)), options.timeoutMs);
      timer.unref();
      const onAbort = (): void => stop(new QueryFailed("Stopped: the request was cancelled."));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        if (grace) clearTimeout(grace);
        options.signal?.removeEventListener("abort", onAbort);
        this.pending.delete(id);
      };
      entry.resolve = (result) => {
        settle();
        resolve(result);
      };
      entry.reject = (error) => {
        settle();
        reject(error);
      };
      this.pending.set(id, entry);
      if (options.signal?.aborted) return onAbort();
      void this.start().then(
        () => this.dispatch(entry),
        (error: unknown) => entry.reject(error as Error),
      );
    });
  }

  close(): void {
    this.closed = true;
    this.channel?.kill();
    this.channel = undefined;
    for (const entry of this.pending.values()) entry.reject(new QueryFailed("Stopped: the server is shutting down."));
  }

  private dispatch(entry: Pending): void {
    entry.attempts++;
    this.channel?.send(entry.message);
  }

  private sendOpen(generation: number, file: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opening.set(generation, { resolve, reject });
      this.channel?.send({ type: "open", generation, file });
    });
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new QueryFailed("Stopped: the server is shutting down."));
    this.ready ??= this.launch().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async launch(): Promise<void> {
    const script = this.options.inProcess ? undefined : firstExisting(import.meta.url, WORKER_PATHS);
    // Started outside any request, so what the worker writes is never labelled with a caller.
    this.channel = script ? await withoutLogLabel(() => this.spawnProcess(fileURLToPath(script))) : await this.inProcess();
    if (this.latest) await this.sendOpen(this.latest.generation, this.latest.file);
  }

  /** Kill the worker; queries it held for others go to the next one. */
  private restart(): void {
    this.channel?.kill();
  }

  private receive(message: FromWorker): void {
    if (message.type === "opened") {
      const waiting = this.opening.get(message.generation);
      this.opening.delete(message.generation);
      if (message.error) waiting?.reject(new QueryFailed(`The query tables could not be opened: ${message.error}`));
      else waiting?.resolve();
      return;
    }
    if (message.type !== "result" && message.type !== "error") return;
    const entry = this.pending.get(message.id);
    if (!entry) return;
    // A query stopped between two chunks ends "normally" with a short count: never an answer.
    if (entry.stopping) return entry.reject(entry.stopping);
    if (message.type === "result") return entry.resolve(message.sources ? { ...message.result, sources: message.sources } : message.result);
    entry.reject(this.toError(message.error));
  }

  private toError(failure: QueryFailure): Error {
    if (failure.kind === "refused") return new QueryRefused(failure.message);
    if (failure.kind === "memory") return new QueryFailed(`${failure.message.split("\n")[0]}\n\nThe query hit its memory bound (--query-memory-mb ${this.options.memoryMb}): aggregate, filter or limit earlier, and avoid building huge lists or strings.`);
    return new QueryFailed(failure.message);
  }

  /** The worker went away: the query that caused it fails, the others are sent once more to a new worker. */
  private lost(how: string, recycled = false): void {
    this.channel = undefined;
    this.ready = undefined;
    for (const [, waiting] of this.opening) waiting.reject(new QueryFailed(`The query worker stopped (${how}).`));
    this.opening.clear();
    if (this.closed) return;
    const again: Pending[] = [];
    const running = [...this.pending.values()].filter((entry) => !entry.stopping);
    for (const entry of this.pending.values()) {
      if (entry.stopping) entry.reject(entry.stopping);
      // A worker that recycled itself (idle, over its memory mark) may have just been sent a query: send it again.
      else if (recycled) {
        entry.attempts--;
        again.push(entry);
      }
      // The only query running when the worker died is what killed it: never run it again.
      else if (running.length === 1) entry.reject(new QueryFailed(`Stopped: the query worker ended (${how}) while running this query; it went past the memory bound (--query-memory-mb ${this.options.memoryMb}). Aggregate, filter or limit earlier.`));
      else if (entry.attempts >= 2) entry.reject(new QueryFailed(`Stopped: the query worker ended (${how}) while running this query twice; it probably went past the memory bound (--query-memory-mb ${this.options.memoryMb}). Aggregate, filter or limit earlier.`));
      else again.push(entry);
    }
    if (again.length === 0) return;
    void this.start().then(
      () => again.forEach((entry) => this.dispatch(entry)),
      (error: unknown) => again.forEach((entry) => entry.reject(error as Error)),
    );
  }

  private spawnProcess(script: string): Promise<Channel> {
    const dataKb = (this.options.memoryMb + WORKER_OVERHEAD_MB) * 1024;
    const nodeArgs = [`--max-old-space-size=${Math.round(WORKER_OVERHEAD_MB / 4)}`, script];
    const env = { ...process.env, CLARI_MCP_WORKER_MEMORY_MB: String(this.options.memoryMb), CLARI_MCP_WORKER_THREADS: String(this.options.threads), CLARI_MCP_WORKER_RECYCLE_MB: String(Math.round((this.options.memoryMb + WORKER_OVERHEAD_MB) * 0.8)), TZ: "UTC" };
    // stdout is never read: a caller's enable_logging(storage='stdout') writes to nothing.
    const stdio: ["ignore", "ignore", "pipe", "ipc"] = ["ignore", "ignore", "pipe", "ipc"];
    // The limit is set by the shell that then becomes the worker (exec), where there is one.
    const child =
      process.platform === "win32"
        ? spawn(process.execPath, nodeArgs, { stdio, env })
        : spawn("/bin/sh", ["-c", `ulimit -d ${dataKb} 2>/dev/null; exec "$0" "$@"`, process.execPath, ...nodeArgs], { stdio, env });
    const log = (chunk: Buffer): void => this.options.logger.debug(`query worker: ${chunk.toString().trim()}`);
    child.stderr?.on("data", log);
    return new Promise<Channel>((resolve, reject) => {
      const channel: Channel = { send: (m) => void (child.connected && child.send(m)), kill: () => child.kill("SIGKILL"), child };
      child.on("message", (m: FromWorker) => (m.type === "ready" ? resolve(channel) : this.receive(m)));
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        reject(new QueryFailed(`The query worker could not start (exit ${code ?? signal}).`));
        if (this.channel === channel) this.lost(signal ? `signal ${signal}` : `exit code ${code}`, code === 0 && !signal);
      });
    });
  }

  private async inProcess(): Promise<Channel> {
    const { serveQueries } = await import("./worker/serve-queries.js");
    const service = serveQueries((m) => queueMicrotask(() => this.receive(m)), { memoryMb: this.options.memoryMb, threads: this.options.threads, scrub: (t) => t });
    this.options.logger.debug("query worker: no built worker found; queries run in process");
    const channel: Channel = {
      send: (m) => service.handle(m),
      kill: () => {
        service.close();
        if (this.channel === channel) this.lost("restarted");
      },
    };
    return channel;
  }
}
