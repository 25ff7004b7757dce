/**
 * The forecast view, an MCP App (ext-apps): one self-contained HTML file that `npm run build` writes to
 * dist/view/forecast-view.html (scripts/build-view.mjs). It is read on the first resources/read of its
 * ui:// URI, never at start-up, and kept. The view makes no network request of its own (every number
 * comes through the host, by tools/call), so its CSP declares no domain at all.
 */
import { readFile } from "node:fs/promises";
import type { McpServer } from "@modelcontextprotocol/server";
import { STATIC_RESOURCE_HINT } from "./cache-hints.js";
import { firstExisting } from "../package-file.js";
import { FORECAST_VIEW_URI, MCP_APP_MIME_TYPE } from "./uris.js";

/** ext-apps' McpUiResourceMeta: no connect, resource or frame domains; a border from the host. */
export const VIEW_UI_META = { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] }, prefersBorder: true };

/** Beside the built server (dist/view, seen from dist/resources, dist/ or dist/chunks), or, running from source (tests), the build's copy. */
const VIEW_PATHS = ["../view/forecast-view.html", "./view/forecast-view.html", "../../dist/view/forecast-view.html"];
let html: Promise<string> | undefined;

/** The built view, read once on first use (a failed read is retried on the next request). */
export function viewHtml(): Promise<string> {
  if (html) return html;
  const file = firstExisting(import.meta.url, VIEW_PATHS);
  html = (file ? readFile(file, "utf8") : Promise.reject(new Error(`none of ${VIEW_PATHS.join(", ")} exists`))).catch((error: unknown) => {
    html = undefined;
    throw new Error(`The forecast view is not built (npm run build): ${(error as Error).message}`);
  });
  return html;
}

export function registerViewResource(server: McpServer): void {
  // What ext-apps' registerAppResource does, without making ext-apps a dependency of the server.
  server.registerResource(
    "forecast-view",
    FORECAST_VIEW_URI,
    { title: "Forecast view", description: "Bars of a call against quota, week-over-week lines, drill-down by manager (an MCP App)", mimeType: MCP_APP_MIME_TYPE, _meta: { ui: VIEW_UI_META }, cacheHint: STATIC_RESOURCE_HINT },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: MCP_APP_MIME_TYPE, text: await viewHtml(), _meta: { ui: VIEW_UI_META } }] }),
  );
}
