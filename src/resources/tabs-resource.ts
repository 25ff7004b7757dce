/** clari://forecast-tabs: the Forecast Tabs this server knows of (Clari has no API that lists them). */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { jsonContent } from "./resource-util.js";
import { FORECAST_TABS_URI } from "./uris.js";
import { knownForecastTabs } from "../exports/index.js";

export function registerTabsResource(server: McpServer, deps: Deps): void {
  server.registerResource(
    "forecast-tabs",
    FORECAST_TABS_URI,
    { title: "Known Forecast Tabs", description: "Forecast Tab ids from --forecast-tabs, stored exports and the audit log", mimeType: "application/json" },
    async (uri) =>
      jsonContent(uri.href, {
        tabs: await knownForecastTabs(deps),
        note: "Clari cannot list an org's tabs: these are the ones seen here. Another tab id (from its Clari URL) can be exported all the same.",
      }),
  );
}
