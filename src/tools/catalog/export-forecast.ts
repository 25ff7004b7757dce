import { z } from "zod";
import { FORECAST_VIEW_URI } from "../../resources/uris.js";
import { currencyInput, forecastIdInput, scopeIdInput, timePeriodInput } from "../kit/common-inputs.js";
import { defineExportTool } from "../kit/define-export-tool.js";

export const exportForecast = defineExportTool({
  name: "clari_export_forecast",
  title: "Export a forecast",
  description:
    "Export a Forecast Tab for a quarter and wait; returns a summary and a file link. Then answer questions with clari_query. " +
    "Spends 1 monthly export unless an identical recent one is reused. If still running, continue with clari_wait_for_job.",
  toolset: "forecast",
  kind: "forecast",
  uiResourceUri: FORECAST_VIEW_URI,
  inputSchema: {
    forecastId: forecastIdInput,
    timePeriod: timePeriodInput.optional(),
    typesToExport: z
      .array(z.enum(["forecast", "quota", "forecast_updated", "adjustment"]))
      .min(1)
      .default(["forecast", "quota", "forecast_updated"])
      .describe("crm_total/crm_closed: use clari_get_forecast"),
    includeHistorical: z.boolean().default(true).describe("Every week so far; false: the latest only"),
    scopeId: scopeIdInput.optional(),
    currency: currencyInput.optional(),
    exportFormat: z.enum(["JSON", "CSV"]).default("JSON"),
    schedule: z.enum(["NONE", "ONCE", "MAX"]).default("NONE").describe("Clari retries failures after 30 min"),
  },
  queue: ({ forecastId, ...params }, client, signal) => client.exportForecast(forecastId, params, { signal }),
});
