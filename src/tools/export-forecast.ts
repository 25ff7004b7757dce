import { z } from "zod";
import { currencyInput, forecastIdInput, scopeIdInput, timePeriodInput } from "./shared/common-inputs.js";
import { defineTool } from "./define-tool.js";
import { exportResultShape, freshInput, waitSecondsInput } from "./shared/export-answer.js";
import { runExportTool } from "./shared/define-export-tool.js";

export const exportForecast = defineTool({
  name: "clari_export_forecast",
  title: "Export a forecast",
  description:
    "Export a Forecast Tab for a quarter and wait; returns a summary and a file link. Then answer questions with clari_query_export. " +
    "Spends 1 monthly export unless an identical recent one is reused. If still running, continue with clari_wait_for_job.",
  toolset: "forecast",
  inputSchema: {
    forecastId: forecastIdInput,
    timePeriod: timePeriodInput.optional(),
    typesToExport: z
      .array(z.enum(["forecast", "quota", "forecast_updated", "adjustment"]))
      .min(1)
      .default(["forecast", "quota", "forecast_updated"])
      .describe("crm_total/crm_closed: use clari_get_forecast"),
    includeHistorical: z.boolean().default(false).describe("All weeks so far (week-over-week)"),
    scopeId: scopeIdInput.optional(),
    currency: currencyInput.optional(),
    exportFormat: z.enum(["JSON", "CSV"]).default("JSON"),
    schedule: z.enum(["NONE", "ONCE", "MAX"]).default("NONE").describe("Clari retries failures after 30 min"),
    waitSeconds: waitSecondsInput,
    fresh: freshInput,
  },
  outputSchema: exportResultShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  writesClariData: false,
  async handler(args, deps, call) {
    const { forecastId, waitSeconds, fresh, ...params } = args;
    return runExportTool("forecast", { waitSeconds, fresh }, { forecastId, ...params }, (signal) => deps.client.exportForecast(forecastId, params, { signal }), deps, call);
  },
});
