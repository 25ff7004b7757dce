/**
 * The catalogue: every tool, and the selection a given configuration exposes
 * (--toolsets, --tools, --read-only; ingest only with a partner key).
 */
import type { Config } from "../config.js";
import { addPicklistValues } from "./add-picklist-values.js";
import { cancelExportJob } from "./cancel-export-job.js";
import { isWriteTool, type ToolDefinition } from "./define-tool.js";
import { exportActivity } from "./export-activity.js";
import { exportAuditEvents } from "./export-audit-events.js";
import { exportForecast } from "./export-forecast.js";
import { getExportJob } from "./get-export-job.js";
import { getExportResults } from "./get-export-results.js";
import { getForecast } from "./get-forecast.js";
import { getIngestJob } from "./get-ingest-job.js";
import { getLimits } from "./get-limits.js";
import { getOpportunities } from "./get-opportunities.js";
import { getPicklistValues } from "./get-picklist-values.js";
import { ingestBulk } from "./ingest-bulk.js";
import { ingestRecords } from "./ingest-records.js";
import { listAuditEvents } from "./list-audit-events.js";
import { listExportJobs } from "./list-export-jobs.js";
import { query } from "./query.js";
import { waitForJobTool } from "./wait-for-job.js";

export const ALL_TOOLS: readonly ToolDefinition[] = [
  exportForecast,
  query,
  getForecast,
  waitForJobTool,
  getExportJob,
  getExportResults,
  listExportJobs,
  cancelExportJob,
  getLimits,
  exportAuditEvents,
  listAuditEvents,
  getOpportunities,
  exportActivity,
  ingestBulk,
  ingestRecords,
  getIngestJob,
  addPicklistValues,
  getPicklistValues,
] as unknown as readonly ToolDefinition[];

export function selectTools(config: Pick<Config, "toolsets" | "tools" | "readOnly">, hasPartnerKey: boolean): ToolDefinition[] {
  return ALL_TOOLS.filter(
    (tool) =>
      config.toolsets.has(tool.toolset) &&
      (!config.tools || config.tools.has(tool.name)) &&
      !(config.readOnly && isWriteTool(tool)) &&
      (tool.toolset !== "ingest" || hasPartnerKey),
  );
}
