import path from "node:path";
import { z } from "zod";
import { entityInput, ingestDatasetInput, ingestOptionsShape } from "../kit/common-inputs.js";
import { ToolInputError } from "../kit/describe-error.js";
import { defineTool } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";
import { waitSecondsInput } from "../kit/export-answer.js";
import { readIngestFile } from "../kit/read-ingest-file.js";
import { reportedOutcome, waitWithProgress } from "../../exports/index.js";

const MAX_FILE_BYTES = 10 * 1024 * 1024;

export const ingestBulk = defineTool({
  name: "clari_ingest_bulk",
  task: { jobKind: () => "ingest" },
  title: "Bulk upload entity data",
  description:
    "Partner ingest: upload account/opportunity fields as one JSON file (inline datasets or filePath in the ingest folder; max 10 MB) and wait.",
  toolset: "ingest",
  inputSchema: {
    entity: entityInput,
    // The dataset shape is listed once, on clari_ingest_records.
    datasets: listedPlain(z.array(ingestDatasetInput).min(1).describe("As in clari_ingest_records, no 100 limit")).optional(),
    filePath: listedPlain(z.string().min(1).max(1000).describe("Relative to the ingest folder")).optional(),
    ...ingestOptionsShape,
    waitSeconds: waitSecondsInput,
  },
  outputSchema: { jobId: z.string(), status: z.string(), outcome: z.enum(["done", "running", "failed", "cancelled"]), message: z.string().optional() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  writesClariData: true,
  async handler({ entity, datasets, filePath, mode, isLastBatch, waitSeconds }, deps, call) {
    if ((datasets === undefined) === (filePath === undefined)) throw new ToolInputError("Give exactly one of datasets (inline records) or filePath.");
    const content = filePath ? (await readIngestFile(deps.config.ingestDir, filePath)).content : Buffer.from(JSON.stringify(datasets));
    if (content.length > MAX_FILE_BYTES) throw new ToolInputError(`The upload is ${content.length} bytes; Clari accepts at most 10 MB. Split it into batches.`);
    const { jobId } = await deps.client.ingestBulk(entity, { content, fileName: filePath ? path.basename(filePath) : "data.json" }, { mode, isLastBatch }, { signal: call.signal });
    const wait = await waitWithProgress("ingest", jobId, waitSeconds ?? deps.config.waitSeconds, deps, call);
    const outcome = reportedOutcome(wait);
    const message = typeof wait.job?.reason === "string" ? wait.job.reason : undefined;
    const follow = outcome === "running" ? ` Continue with clari_wait_for_job {"jobId":"${jobId}","kind":"ingest"}.` : outcome === "cancelled" ? " Stopped waiting; the upload job continues in Clari (it cannot be cancelled)." : "";
    return {
      text: `Bulk ingest ${jobId} for ${entity}: ${wait.status}.${message ? ` ${message}` : ""}${follow}`,
      structured: { jobId, status: wait.status, outcome, ...(message ? { message } : {}) },
      ...(outcome === "failed" ? { isError: true } : {}),
    };
  },
});
