/**
 * stdio transport: stdout carries JSON-RPC only; everything else goes to stderr.
 * serveStdio lets the connection's opening choose the protocol era: a 2025-era client
 * (initialize) gets a session as before, a 2026-07-28 client (server/discover, identity in each
 * request's _meta) the stateless protocol. Either way one server from createServer serves it.
 */
import { serveStdio, StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { createServer } from "../server.js";
import type { Deps } from "../deps.js";

export async function runStdio(deps: Deps, onClose: () => Promise<void>): Promise<void> {
  const handle = serveStdio(() => createServer(deps), {
    legacy: "serve",
    transport: new StdioServerTransport(),
    onerror: (error) => deps.logger.debug(`stdio: ${error.message}`),
  });
  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await handle.close().catch(() => undefined);
    await onClose();
    process.exit(0);
  };
  process.stdin.on("end", () => void shutdown());
  process.stdin.on("close", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  deps.logger.info("serving MCP over stdio");
}
