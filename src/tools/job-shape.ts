/** The export job as tools report it, and its one-line description. */
import { z } from "zod";
import type { ExportJob } from "../client/schemas.js";

export const exportJobShape = {
  jobId: z.string(),
  status: z.string(),
  title: z.string().optional(),
  module: z.string().optional(),
  fileName: z.string().optional(),
  fileType: z.string().optional(),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  expiredTime: z.number().optional(),
  rowsTruncated: z.boolean().optional(),
  cellsTruncated: z.boolean().optional(),
};

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
