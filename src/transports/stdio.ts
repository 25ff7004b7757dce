/** stdio transport: stdout carries JSON-RPC only; everything else goes to stderr. */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createServer } from "../server.js";
import type { Deps } from "../deps.js";

export async function runStdio(deps: Deps, onClose: () => Promise<void>): Promise<void> {
  const server = createServer(deps);
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await server.close().catch(() => undefined);
    await onClose();
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  process.stdin.on("end", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  await server.connect(transport);
  deps.logger.info("serving MCP over stdio");
}
