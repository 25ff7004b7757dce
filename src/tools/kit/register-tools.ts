/**
 * The tool layer's one meeting point with the SDK: each catalogue entry becomes a registered tool
 * whose handler adapts the SDK's request context (cancellation, progress) to our CallContext, and
 * tools/list is answered from the catalogue rendered once (listing.ts).
 *
 * The catalogue lists no output schemas (listing.ts), so tools are registered without one and
 * every answer's structuredContent is checked here against the tool's own zod schema instead. A job
 * tool (one whose definition has `task`) may answer with a task (the caller passes the task
 * starter, src/tasks), which has no structuredContent to check.
 */
import { type CallToolResult, type McpServer, type ServerContext, type Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { CallContext, Deps } from "../../deps.js";
import { budgetFor } from "../../config/budgets.js";
import { recordCall } from "./audit-call.js";
import { runTool, type ToolDefinition } from "./define-tool.js";
import { toolListing } from "./listing.js";
import { listingFor, scopeChallenge, scopesByName } from "./scope-gate.js";

/** Answers a job tool's call with a task when the request is a Tasks client's; undefined otherwise. */
export type TaskStarter = (tool: ToolDefinition, args: Record<string, unknown>, ctx: ServerContext, call: CallContext) => Promise<CallToolResult | undefined>;

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

/** Our CallContext from the SDK's per-request context: who calls, with what permissions and export budget. */
function callContext(ctx: ServerContext, isClosing: () => boolean, deps: Deps): CallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  const authInfo = ctx.http?.authInfo;
  const caller = authInfo?.clientId;
  const email = typeof authInfo?.extra?.email === "string" ? authInfo.extra.email : undefined;
  const budget = budgetFor(deps.config.exportBudgets, { caller, email, permissions: authInfo?.scopes });
  return {
    signal: ctx.mcpReq.signal,
    ...(caller ? { caller } : {}),
    ...(authInfo ? { permissions: authInfo.scopes } : {}),
    ...(budget ? { budget } : {}),
    usage: { exportsQueued: 0 },
    isClosing,
    progress: async ({ progress, total, message }) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq
        .notify({ method: "notifications/progress", params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } })
        .catch(() => undefined); // a client that went away must not fail the tool
    },
  };
}

/** answerCall, then the call's row in the audit trail (which never fails the call). */
async function answerAndRecord(tool: ToolDefinition, args: unknown, deps: Deps, ctx: ServerContext, call: CallContext, startTask: TaskStarter | undefined): Promise<CallToolResult> {
  const startedAt = Date.now();
  const record = { tool: tool.name, args, authInfo: ctx.http?.authInfo, startedAt };
  try {
    const result = await answerCall(tool, args, deps, ctx, call, startTask);
    await recordCall(deps.audit, deps.logger, { ...record, result, exportsQueued: call.usage?.exportsQueued ?? 0 });
    return result;
  } catch (error) {
    await recordCall(deps.audit, deps.logger, { ...record, result: undefined, thrown: error, exportsQueued: call.usage?.exportsQueued ?? 0 });
    throw error;
  }
}

/** What a tools/call answers: the tool's result, or for a job tool and a Tasks client, maybe a task. */
async function answerCall(tool: ToolDefinition, args: unknown, deps: Deps, ctx: ServerContext, call: CallContext, startTask: TaskStarter | undefined): Promise<CallToolResult> {
  if (tool.task) {
    const task = await startTask?.(tool, args as Record<string, unknown>, ctx, call);
    if (task) return task;
  }
  const result = await runTool(tool, args, deps, call);
  // The check the SDK would make had the tool been registered with its output schema.
  if (!result.isError && !schemasOf(tool).output.safeParse(result.structuredContent).success) {
    return { content: [{ type: "text", text: `Output validation error: ${tool.name} gave structured content that does not fit its output schema.` }], isError: true };
  }
  return result;
}

/** Registers the tools and answers tools/list with the catalogue; returns that answer (test fixtures extend it). */
export function registerTools(server: McpServer, tools: readonly ToolDefinition[], deps: Deps, isClosing: () => boolean, startTask?: TaskStarter): { tools: Tool[] } {
  const listing = toolListing(tools);
  const listed = new Map<string, Tool>(listing.map((t) => [t.name, t]));
  const scopes = scopesByName(tools);
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: schemasOf(tool).input, annotations: tool.annotations, scopeChallenge: scopeChallenge(scopes.get(tool.name)!, deps.config) },
      (args: unknown, ctx: ServerContext) => answerAndRecord(tool, args, deps, ctx, callContext(ctx, isClosing, deps), startTask),
    );
  }
  // After every registerTool (the first one installs the SDK's own tools/list): the catalogue as
  // rendered once (for a signed-in caller, the tools its permissions allow). The 2026 path checks
  // Mcp-Param-* headers against the same listed input schemas.
  const result = { tools: listing };
  server.server.setRequestHandler("tools/list", (_request, ctx) => {
    const tools = listingFor(result.tools, scopes, ctx.http?.authInfo);
    return tools === result.tools ? result : { tools };
  });
  server.toolInputSchemaJson = (name: string) => listed.get(name)?.inputSchema as Record<string, unknown> | undefined;
  return result;
}
