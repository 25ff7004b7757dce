import { z } from "zod";
import { ClariApiError } from "../../client/errors.js";
import { jobIdInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { forgetJob } from "../../exports/index.js";

export const cancelExportJob = defineTool({
  name: "clari_cancel_export_job",
  title: "Cancel an export job",
  description: "Cancel a SCHEDULED or STARTED export job; frees its quota and concurrency slot. Fails for jobs already DONE.",
  toolset: "jobs",
  inputSchema: { jobId: jobIdInput },
  outputSchema: { jobId: z.string(), status: z.string(), successful: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  writesClariData: true,
  async handler({ jobId }, deps, call) {
    let result;
    try {
      result = await deps.client.cancelExportJob(jobId, { signal: call.signal });
    } catch (error) {
      // Already finished or unknown to Clari: nothing is left to resume either way.
      if (error instanceof ClariApiError && error.status >= 400 && error.status < 500) await forgetJob(deps, jobId);
      throw error;
    }
    await forgetJob(deps, jobId);
    const successful = result.successful !== false;
    return {
      text: successful ? `Job ${jobId} is ${result.status}; its quota is freed.` : `Clari did not confirm cancelling job ${jobId} (status ${result.status}).`,
      structured: { jobId, status: result.status, successful },
    };
  },
});
