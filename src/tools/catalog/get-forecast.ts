import { z } from "zod";
import { summariseForecast } from "../../exports/summary/summarise-forecast.js";
import { currencyInput, forecastIdInput, scopeIdInput, timePeriodInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { forecastSummaryLines } from "../../exports/summary/forecast-summary-lines.js";

export const getForecast = defineTool({
  name: "clari_get_forecast",
  title: "Read the current forecast week",
  description:
    "A Forecast Tab's current week, read synchronously (no job, no quota); the only source of crm_total/crm_closed. Per-person answers: clari_export_forecast.",
  toolset: "forecast",
  inputSchema: {
    forecastId: forecastIdInput,
    timePeriod: timePeriodInput.optional(),
    typesToExport: z
      .array(z.enum(["forecast", "quota", "forecast_updated", "adjustment", "crm_total", "crm_closed"]))
      .min(1)
      .default(["forecast", "quota", "forecast_updated"]),
    scopeId: scopeIdInput.optional(),
    currency: currencyInput.optional(),
  },
  outputSchema: { forecastId: z.string(), summary: z.looseObject({}), warnings: z.array(z.string()).optional() },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ forecastId, ...params }, deps, call) {
    const data = await deps.client.getForecast(forecastId, params, { signal: call.signal });
    const { normaliseForecast } = await import("../../exports/read/normalise-forecast.js");
    const table = normaliseForecast(JSON.stringify(data ?? {}));
    const summarised = forecastSummaryLines(summariseForecast(table, { requestedTimePeriod: params.timePeriod }), table);
    return {
      text: [`Forecast ${forecastId}, current week:`, ...summarised.lines, ...(summarised.warnings ?? []).map((w) => `Warning: ${w}`)].join("\n"),
      structured: { forecastId, summary: summarised.summary, ...(summarised.warnings?.length ? { warnings: summarised.warnings } : {}) },
    };
  },
});
