import { z } from "zod";
import { jobIdInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import type { ExportJob } from "../../client/schemas.js";

/** An export job in one line. */
const iso = (ms: number | undefined): string => (ms === undefined ? "?" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

function describeJob(job: ExportJob): string {
  const parts = [`Job ${job.jobId}: ${job.status}`];
  if (job.module || job.title) parts.push(`${job.module ?? ""} ${job.title ?? ""}`.trim());
  if (job.startTime) parts.push(`started ${iso(job.startTime)}`);
  if (job.endTime) parts.push(`ended ${iso(job.endTime)}`);
  if (job.expiredTime) parts.push(`results until ${iso(job.expiredTime)}`);
  if (job.rowsTruncated || job.cellsTruncated) parts.push("TRUNCATED by Clari");
  return parts.join("; ");
}

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
