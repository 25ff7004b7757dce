/** clari://limits: the org's export quota and concurrency, live. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolDeps } from "../tools/define-tool.js";
import { jsonContent } from "./resource-util.js";

export function registerLimitsResource(server: McpServer, deps: ToolDeps): void {
  server.registerResource(
    "limits",
    "clari://limits",
    { title: "Clari export limits", description: "Monthly export quota and concurrent-job limit, with the jobs using them", mimeType: "application/json" },
    async (uri) => jsonContent(uri.href, await deps.client.getLimits({ signal: AbortSignal.timeout(15_000) })),
  );
}
