/**
 * A forecast download (or a stored file read again) normalised on a worker thread, so the
 * server's own thread only scrubs and stores the bytes while another core parses them: the
 * download ends about when its bytes have come rather than when a single thread has done both,
 * and other callers are answered meanwhile. The same ForecastSink runs there
 * (parse-thread-main.ts); the finished table comes back with its columns moved, not copied.
 * Where no built thread script exists (the sources under test without a build), it returns
 * undefined and the caller parses in-process. A thread that dies (an error in it, its exit)
 * fails with ParseThreadLost: the bytes were not found unreadable, and the caller parses the
 * stored file in process instead.
 */
import { Worker } from "node:worker_threads";
import { firstExisting } from "../../package-file.js";
import { ForecastTable } from "../table/forecast-table.js";
import { ForecastParseError, ForecastTooLargeError } from "./forecast-shape.js";
import type { FromParseThread, ToParseThread } from "./parse-thread-protocol.js";

/** tsc's dist/ layout, the bundled thread beside dist/cli.js (seen from dist/ or dist/chunks/), or the build from the sources. */
const THREAD_PATHS = ["./parse-thread-main.js", "./parse-thread.js", "../parse-thread.js", "../../../dist/parse-thread.js"];
/**
 * Bytes below this are parsed in process: starting a thread (~0.1 s) costs more than parsing them
 * (about 10 ms per MB) saves.
 */
export const THREAD_MIN_BYTES = 8 << 20;
/** Bytes posted and not yet parsed, at most: past this the download waits (its memory stays bounded). */
const MAX_IN_FLIGHT = 8 << 20;

/** The thread died before its table was ready (not a verdict on the bytes). */
export class ParseThreadLost extends Error {
  override readonly name = "ParseThreadLost";
}

export class ForecastParseThread {
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private table: { resolve: (table: ForecastTable) => void; reject: (error: Error) => void } | undefined;
  private readonly done: Promise<ForecastTable>;

  private constructor(private readonly worker: Worker) {
    this.done = new Promise<ForecastTable>((resolve, reject) => (this.table = { resolve, reject }));
    this.done.catch(() => undefined);
    worker.on("message", (message: FromParseThread) => this.onMessage(message));
    worker.on("error", (error) => this.fail(new ParseThreadLost(`the parse thread failed: ${error.message}`)));
    worker.on("exit", (code) => this.fail(new ParseThreadLost(`the parse thread ended (exit code ${code}) before the table was ready`)));
    // The thread writes nothing; its stdout is never the server's (in stdio mode that is the protocol).
    worker.stdout.resume();
    worker.stderr.resume();
  }

  /** A thread for one download, or undefined where there is no built thread script. */
  static start(options: { queryMemoryMb?: number | undefined }): ForecastParseThread | undefined {
    const script = firstExisting(import.meta.url, THREAD_PATHS);
    if (!script) return undefined;
    let worker: Worker;
    try {
      worker = new Worker(script, { workerData: { queryMemoryMb: options.queryMemoryMb }, stdout: true, stderr: true });
    } catch {
      // No thread can be started now (ERR_WORKER_INIT_FAILED: EAGAIN, no memory for its stack): parsed in process.
      return undefined;
    }
    return new ForecastParseThread(worker);
  }

  /** Posts the next bytes (a copy: the caller's buffer may be a slice of a shared pool). */
  write(chunk: Uint8Array): void {
    this.throwIfTooLarge();
    if (this.failure || chunk.length === 0) return;
    const bytes = new Uint8Array(chunk);
    this.inFlight += bytes.byteLength;
    this.post({ type: "bytes", bytes }, [bytes.buffer]);
  }

  /** Resolves once few enough bytes wait to be parsed; rejects when the rows passed the memory cap. */
  async ready(): Promise<void> {
    while (this.inFlight > MAX_IN_FLIGHT && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    this.throwIfTooLarge();
  }

  /** The normalised table, once every byte is parsed; throws what made the bytes unreadable. */
  finish(): Promise<ForecastTable> {
    if (!this.failure) this.post({ type: "end" });
    return this.done.finally(() => void this.worker.terminate());
  }

  /** The download failed: the thread stops. */
  abort(): void {
    this.fail(new Error("the download failed"));
    void this.worker.terminate();
  }

  private post(message: ToParseThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private onMessage(message: FromParseThread): void {
    switch (message.type) {
      case "taken":
        this.inFlight -= message.bytes;
        if (this.inFlight <= MAX_IN_FLIGHT) this.wakeUp();
        return;
      case "too-large":
        this.fail(new ForecastTooLargeError(message.maxRows, message.queryMemoryMb));
        return;
      case "failed":
        // The same class as in process: callers that tell unreadable bytes apart see no difference.
        this.fail(message.unreadable ? new ForecastParseError(message.message) : new Error(message.message));
        return;
      case "table":
        this.table?.resolve(ForecastTable.fromClone(message.table));
        this.table = undefined;
        return;
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.table?.reject(this.failure);
    this.table = undefined;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private throwIfTooLarge(): void {
    if (this.failure instanceof ForecastTooLargeError) throw this.failure;
  }
}
