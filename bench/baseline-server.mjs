#!/usr/bin/env node
/**
 * The cold-start baseline: a bare MCP server from the SDK with ONE trivial tool, served over
 * stdio exactly as clari-mcp is. Nothing else is loaded.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const server = new McpServer({ name: "baseline", version: "1.0.0" });
server.registerTool(
  "ping",
  { title: "Ping", description: "Answers pong.", inputSchema: {} },
  async () => ({ content: [{ type: "text", text: "pong" }] }),
);
await server.connect(new StdioServerTransport());
