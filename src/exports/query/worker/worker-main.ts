/**
 * The query worker process: callers' SQL runs here, never in the server. The server starts it
 * with a data-size limit (the memory bound of every query, lists and strings included), talks to
 * it over the IPC channel, and kills it when a query ignores an interrupt. stdout is unused; it
 * exits when the server goes.
 */
import { readFileSync } from "node:fs";
import { redactSecrets } from "../../../security/redact.js";
import type { ToWorker } from "./protocol.js";
import { serveQueries } from "./serve-queries.js";

const memoryMb = Number(process.env.CLARI_MCP_WORKER_MEMORY_MB ?? "1024");
const threads = Number(process.env.CLARI_MCP_WORKER_THREADS ?? "1");
const home = process.env.HOME;
/** DuckDB's messages may name files: keep paths (the home folder among them) out of answers. */
const scrub = (text: string): string => redactSecrets(home ? text.split(home).join("~") : text).replace(/\/(?:[\w.-]+\/)+[\w.-]+/g, "<path>");

if (!process.send) throw new Error("the query worker runs as a child process with an IPC channel");
const send = process.send.bind(process);
/**
 * Memory a query took and did not give back (DuckDB's caches, the allocator's arenas) would make
 * the next caller's query fail: past this, an idle worker exits and the server starts a fresh one
 * on the next query (the data is on disk; nothing is reloaded).
 */
const recycleBytes = Number(process.env.CLARI_MCP_WORKER_RECYCLE_MB ?? "0") * 1024 * 1024;
/** What the data-size limit counts (Linux: VmData, which keeps what the allocator reserved), else the resident size. */
function dataBytes(): number {
  try {
    const kb = /VmData:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss();
}
const onIdle = (): void => {
  if (recycleBytes > 0 && dataBytes() > recycleBytes) process.exit(0);
};
const service = serveQueries((message) => send(message), { memoryMb, threads, scrub, onIdle });
process.on("message", (message) => service.handle(message as ToWorker));
process.on("disconnect", () => {
  service.close();
  process.exit(0);
});
send({ type: "ready" });
