import { z } from "zod";
import { jobIdInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { describeJob } from "../kit/job-shape.js";

export const getExportJob = defineTool({
  name: "clari_get_export_job",
  title: "Get an export job",
  description: "Status and details of one export job. To wait for it use clari_wait_for_job.",
  toolset: "jobs",
  inputSchema: { jobId: jobIdInput },
  outputSchema: { job: z.looseObject({ jobId: z.string(), status: z.string() }) },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ jobId }, deps, call) {
    const job = await deps.client.getExportJob(jobId, { signal: call.signal });
    return { text: describeJob(job), structured: { job } };
  },
});
