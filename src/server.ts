/**
 * createServer: one McpServer with the configured tools, the resources and the prompts.
 * Dependencies (client, store, table cache, logger) are created once per process and shared by
 * every session; per-session state lives only in the SDK's transport.
 */
import { McpServer, type Tool } from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import { catalogueCacheHints } from "./resources/cache-hints.js";
import { registerPrompts } from "./prompts/index.js";
import { registerResources } from "./resources/index.js";
import type { Deps } from "./deps.js";
import { selectTools } from "./tools/index.js";
import { registerTasks } from "./tasks/register-tasks.js";
import { jobTaskStarter, TASKS_EXTENSION } from "./tasks/job-tasks.js";
import { registerTools } from "./tools/kit/register-tools.js";
import { resourcesNeedRead } from "./tools/kit/scope-gate.js";
import { VERSION } from "./version.js";

export const SERVER_INSTRUCTIONS =
  "Clari forecast, quota, pipeline, audit and activity data. Exports are asynchronous and spend a scarce monthly quota: " +
  "export once (clari_export_forecast), then answer follow-up questions with clari_query (SQL over everything stored; tables in clari://schema) instead of exporting again. " +
  "If a tool says a job is still running, continue with clari_wait_for_job; never re-run the export.";

/** One JSON Schema validator for every session's server (each would otherwise build its own). */
let sharedValidator: AjvJsonSchemaValidator | undefined;

/** Adds tools to a server and to its tools/list answer `listed` (mutated in place); `deps` is the server's own. */
export type ServerExtension = (server: McpServer, listed: { tools: Tool[] }, deps: Deps) => void;
const extensions: ServerExtension[] = [];
/**
 * Test entry points only (test/conformance/cli-with-fixtures.ts): registrations applied to every
 * server made after this call. The shipped binary never calls it.
 */
export function addServerExtension(extension: ServerExtension): void {
  extensions.push(extension);
}

export interface ServerOptions {
  /**
   * The 2026 HTTP path builds one server per request. There a connection ending is the client
   * cancelling (the 2026-07-28 cancellation signal on Streamable HTTP), unless the process is
   * shutting down; and store changes are published once, on the handler's subscription bus,
   * rather than by each server.
   */
  perRequest?: { shuttingDown(): boolean };
}

export function createServer(deps: Deps, options: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: "clari-mcp", title: "Clari", version: VERSION },
    {
      instructions: SERVER_INSTRUCTIONS,
      // The tools and prompts are fixed by the configuration; the resources list the store.
      // Job tools answer Tasks clients with a task (src/tasks).
      capabilities: { tools: { listChanged: false }, prompts: { listChanged: false }, resources: { listChanged: true }, extensions: { [TASKS_EXTENSION]: {} } },
      cacheHints: catalogueCacheHints(deps.config.oauth !== undefined),
      jsonSchemaValidator: (sharedValidator ??= new AjvJsonSchemaValidator()),
    },
  );

  let closing = false;
  const isClosing = options.perRequest ? options.perRequest.shuttingDown : () => closing;
  const listed = registerTools(server, selectTools(deps.config, deps.client.hasPartnerKey), deps, isClosing, jobTaskStarter(deps, server));
  for (const extend of extensions) extend(server, listed, deps);
  resourcesNeedRead(server, deps.config);
  registerResources(server, deps);
  registerTasks(server, deps);
  registerPrompts(server);

  const unsubscribe =
    options.perRequest
      ? () => undefined
      : deps.store.onChange(() => {
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
