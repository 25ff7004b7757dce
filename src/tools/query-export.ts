import { z } from "zod";
import { ForecastQueryResultSchema, ForecastQuerySchema } from "../exports/query-schema.js";
import { runForecastQuery } from "../exports/query.js";
import { jobIdInput } from "./common-inputs.js";
import { ToolInputError } from "./describe-error.js";
import { defineTool } from "./define-tool.js";
import { downloadExport } from "./job-runner.js";
import { formatQueryText } from "./query-text.js";

export const queryExport = defineTool({
  name: "clari_query_export",
  title: "Query a forecast export",
  description:
    "Answer forecast questions from a DONE forecast export without reading the file: filter, group, sum/avg, commit vs quota ratios, team roll-ups under a manager, " +
    "who has not updated their call (mode not_updated), week-over-week change (needs includeHistorical). Bounded output. jobId from clari_export_forecast.",
  toolset: "forecast",
  inputSchema: { jobId: jobIdInput.describe("jobId from clari_export_forecast"), ...ForecastQuerySchema.shape },
  outputSchema: { jobId: z.string(), ...ForecastQueryResultSchema.shape },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ jobId, ...query }, deps, call) {
    const entry = await downloadExport(jobId, undefined, deps, call.signal);
    if (entry.kind !== "forecast") throw new ToolInputError(`Export ${jobId} is a ${entry.kind} export; clari_query_export reads forecast exports. Page it with clari_get_export_results.`);
    const table = await deps.tables.get(jobId);
    const result = runForecastQuery(table, ForecastQuerySchema.parse(query));
    return { text: formatQueryText(result), structured: { jobId, ...result } };
  },
});
