/** An export job in one line. */
import type { ExportJob } from "../../client/schemas.js";

const iso = (ms: number | undefined): string => (ms === undefined ? "?" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

export function describeJob(job: ExportJob): string {
  const parts = [`Job ${job.jobId}: ${job.status}`];
  if (job.module || job.title) parts.push(`${job.module ?? ""} ${job.title ?? ""}`.trim());
  if (job.startTime) parts.push(`started ${iso(job.startTime)}`);
  if (job.endTime) parts.push(`ended ${iso(job.endTime)}`);
  if (job.expiredTime) parts.push(`results until ${iso(job.expiredTime)}`);
  if (job.rowsTruncated || job.cellsTruncated) parts.push("TRUNCATED by Clari");
  return parts.join("; ");
}
