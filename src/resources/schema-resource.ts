/** clari://schema: the tables and columns clari_query answers from (the contract, as Markdown). */
import type { McpServer } from "@modelcontextprotocol/server";
import { STATIC_RESOURCE_HINT } from "./cache-hints.js";
import { SCHEMA_URI } from "./uris.js";
import { contractMarkdown } from "../exports/index.js";

export function registerSchemaResource(server: McpServer): void {
  server.registerResource(
    "schema",
    SCHEMA_URI,
    { title: "clari_query tables", description: "The tables and columns clari_query answers from", mimeType: "text/markdown", cacheHint: STATIC_RESOURCE_HINT },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/markdown", text: contractMarkdown() }] }),
  );
}
