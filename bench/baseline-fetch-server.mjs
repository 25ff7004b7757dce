#!/usr/bin/env node
/**
 * The per-call reference: a bare MCP server from the SDK v2 with ONE tool that makes the same
 * GET {CLARI_BASE_URL}/admin/limits with undici (one keep-alive Agent) and answers its numbers as
 * text and structuredContent under an output schema, served over stdio as clari-mcp is. What it
 * costs over the direct GET is the SDK's and the transport's share of a tool call.
 */
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { Agent, request } from "undici";
import { z } from "zod";

const agent = new Agent({ keepAliveTimeout: 30_000 });
const output = z.object({ availableMonthlyQuota: z.number(), monthlyQuota: z.number(), runningJobIds: z.array(z.string()) });

serveStdio(() => {
  const server = new McpServer({ name: "baseline-fetch", version: "1.0.0" });
  server.registerTool("limits", { description: "Export limits.", inputSchema: z.object({}), outputSchema: output }, async () => {
    const response = await request(`${process.env.CLARI_BASE_URL}/admin/limits`, { dispatcher: agent, headers: { apikey: process.env.CLARI_API_KEY ?? "" } });
    const { jobs } = await response.body.json();
    const structured = { availableMonthlyQuota: jobs.availableMonthlyQuota, monthlyQuota: jobs.monthlyQuota, runningJobIds: jobs.runningJobIds };
    return { content: [{ type: "text", text: `Monthly exports: ${jobs.availableMonthlyQuota} of ${jobs.monthlyQuota} left.` }], structuredContent: structured };
  });
  return server;
});
