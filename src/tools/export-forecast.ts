import { z } from "zod";
import { currencyInput, forecastIdInput, scopeIdInput, timePeriodInput } from "./common-inputs.js";
import { defineTool } from "./define-tool.js";
import { answerExport, exportResultShape, freshInput, waitSecondsInput } from "./export-answer.js";
import { runExport } from "./job-runner.js";
import { summariseStored } from "./summarisers.js";

export const exportForecast = defineTool({
  name: "clari_export_forecast",
  title: "Export a forecast",
  description:
    "Export a Forecast Tab for a quarter and wait for it; returns a summary (totals per field for the latest week) and a link to the file. " +
    "Use for forecast, quota and call-update questions, then ask details with clari_query_export. " +
    "Spends 1 export from the monthly quota, unless an identical export finished within the freshness window (reused). " +
    "If still running when the wait ends, returns the jobId for clari_wait_for_job.",
  toolset: "forecast",
  inputSchema: {
    forecastId: forecastIdInput,
    timePeriod: timePeriodInput.optional(),
    typesToExport: z
      .array(z.enum(["forecast", "quota", "forecast_updated", "adjustment"]))
      .min(1)
      .default(["forecast", "quota", "forecast_updated"])
      .describe("Data types (crm_total/crm_closed: use clari_get_forecast)"),
    includeHistorical: z.boolean().default(false).describe("Every week of the quarter so far (for week-over-week)"),
    scopeId: scopeIdInput.optional(),
    currency: currencyInput.optional(),
    exportFormat: z.enum(["JSON", "CSV"]).default("JSON"),
    schedule: z.enum(["NONE", "ONCE", "MAX"]).default("NONE").describe("Let Clari retry a failed export after 30 min"),
    waitSeconds: waitSecondsInput,
    fresh: freshInput,
  },
  outputSchema: exportResultShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, deps, call) {
    const { forecastId, waitSeconds, fresh, ...params } = args;
    const outcome = await runExport(
      {
        kind: "forecast",
        request: { forecastId, ...params },
        queue: (signal) => deps.client.exportForecast(forecastId, params, { signal }),
        waitSeconds: waitSeconds ?? deps.config.waitSeconds,
        fresh,
      },
      deps,
      call,
    );
    return answerExport(outcome, "Forecast export", (entry) => summariseStored(entry, deps));
  },
});
