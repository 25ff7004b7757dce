/**
 * The tool layer's one meeting point with the SDK: each catalogue entry becomes a registered tool
 * whose handler adapts the SDK's request context (cancellation, progress) to our CallContext, and
 * tools/list is answered from the catalogue rendered once (listing.ts).
 *
 * Later protocol features plug in here without touching the tools: a job tool answering with a
 * task (`resultType: "task"`, the io.modelcontextprotocol/tasks extension) returns it from
 * `answerCall`, and the extension's `tasks/get` / `tasks/cancel` go beside tools/list through
 * `server.server.setRequestHandler`.
 */
import type { CallToolResult, McpServer, ServerContext, Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { CallContext, Deps } from "../deps.js";
import { runTool, type ToolDefinition } from "./define-tool.js";
import { toolListing } from "./listing.js";

/**
 * Each tool's zod objects, built once per process: every HTTP session (and, on the 2026 path,
 * every request) registers the same objects instead of building its own.
 */
const objectSchemas = new WeakMap<ToolDefinition, { input: z.ZodObject; output: z.ZodObject }>();
function schemasOf(tool: ToolDefinition): { input: z.ZodObject; output: z.ZodObject } {
  let schemas = objectSchemas.get(tool);
  if (!schemas) objectSchemas.set(tool, (schemas = { input: z.object(tool.inputSchema), output: z.object(tool.outputSchema) }));
  return schemas;
}

/** Our CallContext from the SDK's per-request context. */
function callContext(ctx: ServerContext, isClosing: () => boolean): CallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    signal: ctx.mcpReq.signal,
    isClosing,
    progress: async ({ progress, total, message }) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq
        .notify({ method: "notifications/progress", params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } })
        .catch(() => undefined); // a client that went away must not fail the tool
    },
  };
}

/** What a tools/call answers: today always the tool's result (a task handle later, for job tools). */
function answerCall(tool: ToolDefinition, args: unknown, deps: Deps, call: CallContext): Promise<CallToolResult> {
  return runTool(tool, args, deps, call);
}

/** Registers the tools and answers tools/list with the catalogue; returns that answer (test fixtures extend it). */
export function registerTools(server: McpServer, tools: readonly ToolDefinition[], deps: Deps, isClosing: () => boolean): { tools: Tool[] } {
  const listing = toolListing(tools);
  const listed = new Map<string, Tool>(listing.map((t) => [t.name, t]));
  for (const tool of tools) {
    const { input, output } = schemasOf(tool);
    const registered = server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: input, outputSchema: output, annotations: tool.annotations },
      (args: unknown, ctx: ServerContext) => answerCall(tool, args, deps, callContext(ctx, isClosing)),
    );
    // The SDK converts the output schema on a tool's first call in each session; it is the listed one.
    registered.outputSchemaJson = listed.get(tool.name)?.outputSchema as Record<string, unknown> | undefined;
  }
  // After every registerTool (the first one installs the SDK's own tools/list): the catalogue as
  // rendered once. The 2026 path checks Mcp-Param-* headers against the same listed input schemas.
  const result = { tools: listing };
  server.server.setRequestHandler("tools/list", () => result);
  server.toolInputSchemaJson = (name: string) => listed.get(name)?.inputSchema as Record<string, unknown> | undefined;
  return result;
}
