/**
 * The catalogue: every tool, and the selection a given configuration exposes
 * (--toolsets, --tools, --read-only; ingest only with a partner key).
 */
import type { Config } from "../config.js";
import { addPicklistValues } from "./catalog/add-picklist-values.js";
import { cancelExportJob } from "./catalog/cancel-export-job.js";
import { isWriteTool, type ToolDefinition } from "./kit/define-tool.js";
import { exportActivity } from "./catalog/export-activity.js";
import { exportAuditEvents } from "./catalog/export-audit-events.js";
import { exportForecast } from "./catalog/export-forecast.js";
import { getExportJob } from "./catalog/get-export-job.js";
import { getExportResults } from "./catalog/get-export-results.js";
import { getForecast } from "./catalog/get-forecast.js";
import { getIngestJob } from "./catalog/get-ingest-job.js";
import { getLimits } from "./catalog/get-limits.js";
import { getOpportunities } from "./catalog/get-opportunities.js";
import { getPicklistValues } from "./catalog/get-picklist-values.js";
import { ingestBulk } from "./catalog/ingest-bulk.js";
import { ingestRecords } from "./catalog/ingest-records.js";
import { listAuditEvents } from "./catalog/list-audit-events.js";
import { listExportJobs } from "./catalog/list-export-jobs.js";
import { query } from "./catalog/query.js";
import { waitForJobTool } from "./catalog/wait-for-job.js";

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
