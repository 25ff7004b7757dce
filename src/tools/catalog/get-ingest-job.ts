import { z } from "zod";
import { jobIdString } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";

export const getIngestJob = defineTool({
  name: "clari_get_ingest_job",
  title: "Get an ingest job",
  description: "Status and message of a bulk ingest job (QUEUED, IN_PROGRESS, SUCCESS, FAILED, VALIDATION_FAILED).",
  toolset: "ingest",
  inputSchema: { jobId: listedPlain(jobIdString.describe("jobId from clari_ingest_bulk")) },
  outputSchema: {
    job: z
      .object({
        jobId: z.string().optional(),
        status: z.string(),
        message: z.unknown().optional().describe("As Clari sent it: a string or a list of validation errors"),
        reason: z.string().optional().describe("message as one readable line"),
      })
      .loose(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ jobId }, deps, call) {
    const job = await deps.client.getIngestJob(jobId, { signal: call.signal });
    return { text: `Ingest job ${jobId}: ${job.status}${job.reason ? ` (${job.reason})` : ""}.`, structured: { job } };
  },
});
