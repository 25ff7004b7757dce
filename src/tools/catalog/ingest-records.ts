import { z } from "zod";
import { entityInput, ingestDatasetInput, ingestOptionsShape } from "../kit/common-inputs.js";
import { ToolInputError } from "../kit/describe-error.js";
import { defineTool } from "../kit/define-tool.js";

export const ingestRecords = defineTool({
  name: "clari_ingest_records",
  title: "Upsert entity records",
  description: "Partner ingest: upsert at most 100 records of extra account/opportunity fields, synchronously.",
  toolset: "ingest",
  inputSchema: { entity: entityInput, datasets: z.array(ingestDatasetInput).min(1), ...ingestOptionsShape },
  outputSchema: { entity: z.string(), records: z.number(), status: z.number(), message: z.string().optional() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: true,
  async handler({ entity, datasets, mode, isLastBatch }, deps, call) {
    const records = datasets.reduce((n, d) => n + d.records.length, 0);
    if (records > 100) throw new ToolInputError(`${records} records given; clari_ingest_records takes at most 100. Use clari_ingest_bulk for more.`);
    const result = await deps.client.ingestRecords(entity, datasets, { mode, isLastBatch }, { signal: call.signal });
    return {
      text: `Uploaded ${records} record(s) to ${entity} (HTTP ${result.status})${result.message ? `: ${result.message}` : ""}.`,
      structured: { entity, records, status: result.status, ...(result.message ? { message: result.message } : {}) },
    };
  },
});
