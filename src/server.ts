/**
 * createServer: one McpServer with the configured tools, the resources and the prompts.
 * Dependencies (client, store, table cache, logger) are created once per process and shared by
 * every session; per-session state lives only in the SDK's transport.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { z } from "zod";
import { registerPrompts } from "./prompts/index.js";
import { registerResources } from "./resources/index.js";
import { runTool, type ToolDefinition } from "./tools/define-tool.js";
import type { Deps } from "./deps.js";
import { selectTools } from "./tools/index.js";
import { toolListing } from "./tools/listing.js";
import { VERSION } from "./version.js";

export const SERVER_INSTRUCTIONS =
  "Clari forecast, quota, pipeline, audit and activity data. Exports are asynchronous and spend a scarce monthly quota: " +
  "export once (clari_export_forecast), then answer follow-up questions with clari_query (SQL over everything stored; tables in clari://schema) instead of exporting again. " +
  "If a tool says a job is still running, continue with clari_wait_for_job; never re-run the export.";

/**
 * What every session's server can share: one JSON Schema validator, and each tool's zod object
 * built once (given a bare shape, the SDK would build two per tool per session). In stateful HTTP
 * a session then costs a third of the memory.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;
const objectSchemas = new WeakMap<ToolDefinition, { input: z.ZodObject; output: z.ZodObject }>();
function schemasOf(tool: ToolDefinition): { input: z.ZodObject; output: z.ZodObject } {
  let schemas = objectSchemas.get(tool);
  if (!schemas) objectSchemas.set(tool, (schemas = { input: z.object(tool.inputSchema), output: z.object(tool.outputSchema) }));
  return schemas;
}

export function createServer(deps: Deps): McpServer {
  const server = new McpServer(
    { name: "clari-mcp", title: "Clari", version: VERSION },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { resources: { listChanged: true } }, jsonSchemaValidator: (sharedValidator ??= new AjvJsonSchemaValidator()) },
  );

  const tools = selectTools(deps.config, deps.client.hasPartnerKey);
  let closing = false;
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: schemasOf(tool).input, outputSchema: schemasOf(tool).output, annotations: tool.annotations },
      (args: unknown, extra) => {
        const progressToken = extra._meta?.progressToken;
        return runTool(tool, args, deps, {
          signal: extra.signal,
          isClosing: () => closing,
          progress: async ({ progress, total, message }) => {
            if (progressToken === undefined) return;
            await extra
              .sendNotification({ method: "notifications/progress", params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } })
              .catch(() => undefined); // a client that went away must not fail the tool
          },
        });
      },
    );
  }

  // Serve tools/list from the catalogue rendered once (see listing.ts); calls still go through the SDK.
  const listing = { tools: toolListing(tools) };
  server.server.setRequestHandler(ListToolsRequestSchema, () => listing);

  registerResources(server, deps);
  registerPrompts(server);

  const unsubscribe = deps.store.onChange(() => {
    if (server.isConnected()) server.sendResourceListChanged();
  });
  // A closed connection aborts every call in flight; that is the client leaving, not cancelling a
  // job. The SDK aborts first and calls onclose next; calls check the flag after an await.
  const previousOnClose = server.server.onclose;
  server.server.onclose = () => {
    closing = true;
    previousOnClose?.();
  };
  const close = server.close.bind(server);
  server.close = async () => {
    closing = true;
    unsubscribe();
    await close();
  };
  return server;
}
