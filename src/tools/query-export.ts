import { z } from "zod";
import { ForecastQuerySchema } from "../exports/query/query-schema.js";
import { runForecastQuery } from "../exports/query/query.js";
import { jobIdInput } from "./shared/common-inputs.js";
import { ToolInputError } from "./describe-error.js";
import { defineTool } from "./define-tool.js";
import { storedExport } from "../exports/jobs/download.js";
import { formatQueryText } from "./shared/query-text.js";

export const queryExport = defineTool({
  name: "clari_query_export",
  title: "Query a forecast export",
  description:
    "Answer questions from a DONE forecast export without reading it: filter, group, totals, commit vs quota ratio, team roll-up, " +
    "who has not updated their call, week-over-week change. Bounded output. jobId from clari_export_forecast.",
  toolset: "forecast",
  inputSchema: { jobId: jobIdInput.describe("jobId from clari_export_forecast"), ...ForecastQuerySchema.shape },
  // A slim mirror of ForecastQueryResultSchema: the catalogue's size is a budget.
  outputSchema: {
    jobId: z.string(),
    mode: z.string(),
    weeks: z.array(z.unknown()),
    comparedWeeks: z.array(z.unknown()).optional(),
    columns: z.array(z.string()),
    rows: z.array(z.looseObject({})),
    totalGroups: z.number(),
    truncated: z.boolean(),
    matchedRows: z.number(),
    warnings: z.array(z.string()),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writesClariData: false,
  async handler({ jobId, ...query }, deps, call) {
    const entry = await storedExport(jobId, deps, call.signal);
    if (entry.kind !== "forecast") throw new ToolInputError(`Export ${jobId} is a ${entry.kind} export; clari_query_export reads forecast exports. Page it with clari_get_export_results.`);
    const table = await deps.tables.get(jobId);
    const result = runForecastQuery(table, ForecastQuerySchema.parse(query));
    return { text: formatQueryText(result), structured: { jobId, ...result } };
  },
});
