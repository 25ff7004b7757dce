#!/usr/bin/env node
/**
 * The cold-start baseline: a bare MCP server from the SDK with ONE trivial tool, served over
 * stdio exactly as clari-mcp is (serveStdio, both protocol eras). Nothing else is loaded.
 */
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";

serveStdio(() => {
  const server = new McpServer({ name: "baseline", version: "1.0.0" });
  server.registerTool("ping", { title: "Ping", description: "Answers pong.", inputSchema: {} }, async () => ({ content: [{ type: "text", text: "pong" }] }));
  return server;
});
