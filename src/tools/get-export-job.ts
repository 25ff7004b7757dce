import { z } from "zod";
import { jobIdInput } from "./common-inputs.js";
import { defineTool } from "./define-tool.js";
import { exportJobShape, describeJob } from "./job-shape.js";

export const getExportJob = defineTool({
  name: "clari_get_export_job",
  title: "Get an export job",
  description: "Status and details of one export job (SCHEDULED, STARTED, DONE, FAILED, CANCELLED, ABORTED). To wait for it use clari_wait_for_job instead.",
  toolset: "jobs",
  inputSchema: { jobId: jobIdInput },
  outputSchema: { job: z.object(exportJobShape).loose() },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler({ jobId }, deps, call) {
    const job = await deps.client.getExportJob(jobId, { signal: call.signal });
    return { text: describeJob(job), structured: { job } };
  },
});
