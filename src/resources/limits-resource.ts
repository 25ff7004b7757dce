/** clari://limits: the org's export quota and concurrency, live. */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { jsonContent } from "./resource-util.js";
import { LIMITS_URI } from "./uris.js";

export function registerLimitsResource(server: McpServer, deps: Deps): void {
  server.registerResource(
    "limits",
    LIMITS_URI,
    { title: "Clari export limits", description: "Monthly export quota and concurrent-job limit, with the jobs using them", mimeType: "application/json" },
    async (uri) => jsonContent(uri.href, await deps.client.getLimits({ signal: AbortSignal.timeout(15_000) })),
  );
}
