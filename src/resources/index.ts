/** Every resource the server offers. */
import type { McpServer } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { registerAuditResources } from "./audit-resources.js";
import { registerAuditTrailResource } from "./audit-trail-resource.js";
import { registerExportResources } from "./export-resources.js";
import { registerLimitsResource } from "./limits-resource.js";
import { registerSchemaResource } from "./schema-resource.js";
import { registerTabsResource } from "./tabs-resource.js";
import { registerViewResource } from "./view-resource.js";

export function registerResources(server: McpServer, deps: Deps): void {
  registerExportResources(server, deps);
  registerAuditResources(server, deps);
  registerAuditTrailResource(server, deps);
  registerLimitsResource(server, deps);
  registerSchemaResource(server);
  registerTabsResource(server, deps);
  registerViewResource(server);
}
