import { z } from "zod";
import { jobIdInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { answerExport, exportResultShape, waitSecondsInput } from "../kit/export-answer.js";
import { KIND_LABEL, reportedOutcome, resumeExport, summariseStored, waitWithProgress } from "../../exports/index.js";

export const waitForJobTool = defineTool({
  name: "clari_wait_for_job",
  task: { jobKind: (args) => (args.kind === "ingest" ? "ingest" : "export") },
  title: "Wait for a job",
  description:
    "Wait again on a running export (or kind:ingest, bulk ingest) job and summarise it when done. Use when a tool returned outcome running. Never queues a job.",
  toolset: "jobs",
  inputSchema: {
    jobId: jobIdInput,
    kind: z.enum(["export", "ingest"]).default("export"),
    waitSeconds: waitSecondsInput,
  },
  outputSchema: exportResultShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ jobId, kind, waitSeconds }, deps, call) {
    const seconds = waitSeconds ?? deps.config.waitSeconds;
    if (kind === "ingest") {
      const wait = await waitWithProgress("ingest", jobId, seconds, deps, call);
      const message = typeof wait.job?.reason === "string" ? ` ${wait.job.reason}` : "";
      const outcome = reportedOutcome(wait);
      return {
        text: `Ingest job ${jobId}: ${wait.status} after ${Math.round(wait.elapsedMs / 1000)}s.${message}` + (outcome === "running" ? ` Continue with clari_wait_for_job {"jobId":"${jobId}","kind":"ingest"}.` : ""),
        structured: { jobId, outcome, status: wait.status, elapsedSeconds: Math.round(wait.elapsedMs / 100) / 10 },
        ...(outcome === "failed" ? { isError: true } : {}),
      };
    }
    const outcome = await resumeExport(jobId, seconds, deps, call);
    const label = outcome.outcome === "done" || outcome.outcome === "reused" ? KIND_LABEL[outcome.entry.kind] : "Export";
    return answerExport(outcome, label, (entry) => summariseStored(entry, deps));
  },
});
