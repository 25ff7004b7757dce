/**
 * The forecast parse thread (a worker thread of the server, see forecast-parse-thread.ts): takes
 * a download's scrubbed bytes in order, normalises them with the same ForecastSink the server
 * runs in-process, and posts the finished table back, its columns moved rather than copied.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ForecastParseError, ForecastTooLargeError } from "./forecast-shape.js";
import { ForecastSink } from "./forecast-sink.js";
import type { FromParseThread, ToParseThread } from "./parse-thread-protocol.js";

const port = parentPort;
if (!port) throw new Error("parse-thread-main runs as a worker thread");
const sink = new ForecastSink({ queryMemoryMb: (workerData as { queryMemoryMb?: number }).queryMemoryMb });
const post = (message: FromParseThread, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
let failed = false;
// Messages are handled one after another: a CSV parser may ask the next bytes to wait.
let turn = Promise.resolve();

/** Rows past the memory cap are a refusal (the download stops); anything else makes the bytes unreadable. */
function postFailure(error: unknown): void {
  if (error instanceof ForecastTooLargeError) post({ type: "too-large", maxRows: error.maxRows, queryMemoryMb: error.queryMemoryMb });
  else post({ type: "failed", message: (error as Error).message, unreadable: error instanceof ForecastParseError });
}

async function handle(message: ToParseThread): Promise<void> {
  if (message.type === "bytes") {
    if (!failed) {
      try {
        sink.write(message.bytes);
        await sink.ready();
      } catch (error) {
        failed = true;
        postFailure(error);
      }
    }
    post({ type: "taken", bytes: message.bytes.byteLength });
    return;
  }
  if (failed) return;
  try {
    const table = await sink.finish();
    table.dropIndexes();
    post({ type: "table", table }, table.transferables);
  } catch (error) {
    // The last rows, parsed at the end, may be the ones past the cap: a refusal there too, not damage.
    postFailure(error);
  }
}

port.on("message", (message: ToParseThread) => {
  turn = turn.then(() => handle(message));
});
