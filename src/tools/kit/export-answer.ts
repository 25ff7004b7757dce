/**
 * Shapes an ExportOutcome into a tool answer: a few lines of text, the same facts in
 * structuredContent, a resource_link to the stored file, and the exact next call when the job is
 * still running. Shared by the three export tools and clari_wait_for_job.
 */
import { z } from "zod";
import { exportUri } from "../../resources/uris.js";
import { resourceLink, type ToolAnswer } from "./define-tool.js";
import { ExportSummarySchema, type ExportOutcome, type ExportSummary, type StoredExport, type Summarised } from "../../exports/index.js";

export const waitSecondsInput = z
  .number()
  .int()
  .min(0)
  .max(55)
  .optional()
  .describe("Default 45; 0 = return the jobId at once");

export const freshInput = z.boolean().default(false).describe("New export even if an identical one is fresh (spends quota)");

/** An export tool's result, its summary of the kind it exports (clari_wait_for_job: of any kind). */
export function exportResultShapeOf<S extends z.ZodType<ExportSummary>>(summary: S) {
  return {
    jobId: z.string(),
    outcome: z.enum(["done", "reused", "running", "failed", "cancelled"]),
    status: z.string(),
    elapsedSeconds: z.number().optional(),
    ageMinutes: z.number().optional(),
    resourceUri: z.string().optional(),
    summary: summary.optional(),
    warnings: z.array(z.string()).optional(),
    next: z
      .strictObject({ tool: z.string(), arguments: z.strictObject({ jobId: z.string() }), why: z.string() })
      .optional()
      .describe("The call to make next"),
  };
}
export type ExportResultShape = ReturnType<typeof exportResultShapeOf<z.ZodType<ExportSummary>>>;
export const exportResultShape: ExportResultShape = exportResultShapeOf(ExportSummarySchema);
export type ExportResult = z.output<z.ZodObject<ExportResultShape>>;

export async function answerExport(
  outcome: ExportOutcome,
  label: string,
  summarise: (entry: StoredExport) => Promise<Summarised>,
): Promise<ToolAnswer<ExportResult>> {
  const { jobId } = outcome;
  if (outcome.outcome === "done" || outcome.outcome === "reused") {
    const { entry } = outcome;
    const { lines, summary, warnings = [], context } = await summarise(entry);
    const uri = exportUri(jobId);
    const head =
      outcome.outcome === "reused"
        ? `${label} ${jobId} reused from the store (finished ${Math.round(outcome.ageMs / 60_000)} min ago; no quota spent; an export tool with fresh:true makes a new one).`
        : `${label} ${jobId} is DONE after ${Math.round(outcome.wait.elapsedMs / 1000)}s${outcome.resumed ? " (resumed an identical job already queued)" : ""}.`;
    return {
      text: [head, ...outcome.notes, ...lines, ...warnings.map((w) => `Warning: ${w}`), `Full file: ${uri}. Ask questions with clari_query (export_id '${jobId}').`].join("\n"),
      structured: {
        jobId,
        outcome: outcome.outcome,
        status: "DONE",
        ...(outcome.outcome === "done" ? { elapsedSeconds: round1(outcome.wait.elapsedMs / 1000) } : { ageMinutes: round1(outcome.ageMs / 60_000) }),
        resourceUri: uri,
        summary,
        ...(warnings.length || outcome.notes.length ? { warnings: [...outcome.notes, ...warnings] } : {}),
      },
      links: [resourceLink(uri, `${label} ${jobId}`, `${label} file (${entry.bytes} bytes)`, entry.mimeType)],
      ...(context ? { context } : {}),
    };
  }
  const elapsedSeconds = round1(outcome.wait.elapsedMs / 1000);
  if (outcome.outcome === "running") {
    const why = outcome.downloading ? "The job is DONE and its file is still downloading; this waits for it without queuing a new one." : "The job is still running; this waits again without queuing a new one.";
    const next = { tool: "clari_wait_for_job", arguments: { jobId }, why };
    const state = outcome.downloading ? "DONE; its file is still downloading" : `still ${outcome.wait.status}`;
    return {
      text: [
        `${label} ${jobId} is ${state} after ${elapsedSeconds}s${outcome.resumed ? " (an identical job was already queued, so no new one was made)" : ""}. Continue with clari_wait_for_job {"jobId":"${jobId}"}.`,
        ...outcome.notes,
      ].join("\n"),
      structured: { jobId, outcome: "running", status: outcome.wait.status, elapsedSeconds, next, ...(outcome.notes.length ? { warnings: outcome.notes } : {}) },
    };
  }
  if (outcome.outcome === "cancelled") {
    const fate = outcome.queuedByAnother
      ? "the Clari job goes on: another caller queued it, or its journal record does not say who did (only they, or clari_cancel_export_job, stop it)"
      : outcome.othersWaiting > 0
        ? `the Clari job goes on, since ${outcome.othersWaiting} other caller(s) still wait on it`
        : outcome.cancelConfirmed
          ? "the Clari job was cancelled and its quota freed"
          : "cancelling the Clari job failed, check it with clari_get_export_job";
    return {
      text: `Stopped waiting on ${label.toLowerCase()} ${jobId} because the request was cancelled; ${fate}.`,
      structured: { jobId, outcome: "cancelled", status: outcome.cancelConfirmed ? "CANCELLED" : outcome.wait.status, elapsedSeconds },
      isError: true,
    };
  }
  const status = outcome.wait.status;
  const advice =
    status === "FAILED"
      ? "Clari could not produce the export. Check the parameters (forecastId, timePeriod, scopeId) and ask again, or queue it with schedule:ONCE so Clari retries by itself after 30 minutes."
      : "The job was stopped before it finished. Ask for the export again if you still need it.";
  return {
    text: `${label} ${jobId} ended ${status}. ${advice}`,
    structured: { jobId, outcome: "failed", status, elapsedSeconds },
    isError: true,
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
