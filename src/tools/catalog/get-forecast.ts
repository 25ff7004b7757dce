import { z } from "zod";
import { ForecastSummarySchema, readCurrentForecast } from "../../exports/index.js";
import { currencyInput, forecastIdInput, scopeIdInput, timePeriodInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";

export const getForecast = defineTool({
  name: "clari_get_forecast",
  title: "Read the current forecast week",
  description:
    "A Forecast Tab's current week, read synchronously (no job, no quota); the only source of crm_total/crm_closed, kept for clari_query (crm_totals). Per-person answers: clari_export_forecast.",
  toolset: "forecast",
  inputSchema: {
    forecastId: forecastIdInput,
    timePeriod: timePeriodInput.optional(),
    typesToExport: z
      .array(z.enum(["forecast", "quota", "forecast_updated", "adjustment", "crm_total", "crm_closed"]))
      .min(1)
      .default(["forecast", "quota", "forecast_updated", "crm_total", "crm_closed"]),
    scopeId: scopeIdInput.optional(),
    currency: currencyInput.optional(),
  },
  outputSchema: { forecastId: z.string(), summary: ForecastSummarySchema, warnings: z.array(z.string()).optional() },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ forecastId, ...params }, deps, call) {
    const summarised = await readCurrentForecast(deps, forecastId, params, call.signal);
    return {
      text: [`Forecast ${forecastId}, current week:`, ...summarised.lines, ...(summarised.warnings ?? []).map((w) => `Warning: ${w}`)].join("\n"),
      structured: { forecastId, summary: summarised.summary, ...(summarised.warnings?.length ? { warnings: summarised.warnings } : {}) },
    };
  },
});
