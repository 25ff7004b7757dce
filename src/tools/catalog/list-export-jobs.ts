import { z } from "zod";
import { defineTool } from "../kit/define-tool.js";

export const listExportJobs = defineTool({
  name: "clari_list_export_jobs",
  title: "List export jobs",
  description: "This token's export jobs, newest first, with status and whether the file is stored locally.",
  toolset: "jobs",
  inputSchema: {
    status: z.enum(["SCHEDULED", "STARTED", "DONE", "FAILED", "CANCELLED", "ABORTED"]).optional(),
    limit: z.number().int().min(1).max(200).default(25),
  },
  outputSchema: {
    total: z.number(),
    jobs: z.array(z.looseObject({ jobId: z.string(), status: z.string(), stored: z.boolean() })),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ status, limit }, deps, call) {
    const all = await deps.client.listExportJobs({ signal: call.signal });
    const matching = all.filter((j) => !status || j.status === status).sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
    const jobs = matching.slice(0, limit).map((j) => ({
      jobId: j.jobId,
      status: j.status,
      title: j.title,
      module: j.module,
      fileName: j.fileName,
      fileType: j.fileType,
      startTime: j.startTime,
      endTime: j.endTime,
      expiredTime: j.expiredTime,
      stored: Boolean(deps.store.get(j.jobId)),
    }));
    const lines = jobs.map((j) => `${j.jobId} ${j.status} ${j.module ?? ""} ${j.title ?? ""}${j.stored ? " (stored)" : ""}`);
    return {
      text: `${matching.length} job(s)${status ? ` with status ${status}` : ""}${matching.length > jobs.length ? `, showing ${jobs.length}` : ""}:\n${lines.join("\n")}`,
      structured: { total: matching.length, jobs },
    };
  },
});
