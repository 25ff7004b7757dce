import { realpath, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { entityInput, ingestOptionsShape } from "./common-inputs.js";
import { ToolInputError } from "./describe-error.js";
import { defineTool, type ToolDeps } from "./define-tool.js";
import { reportedOutcome, waitWithProgress } from "./job-runner.js";
import { waitSecondsInput } from "./export-answer.js";
import { ingestDatasetInput } from "./ingest-records.js";

const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Read a file for upload, refusing anything outside the configured ingest folder. */
async function readAllowedFile(filePath: string, deps: ToolDeps): Promise<Buffer> {
  const root = deps.config.ingestDir;
  if (!root) throw new ToolInputError("Reading files is disabled: start the server with --ingest-dir DIR (or CLARI_MCP_INGEST_DIR) to allow uploads from that folder, or pass the records inline.");
  const allowed = await realpath(root);
  let resolved: string;
  try {
    resolved = await realpath(path.resolve(allowed, filePath));
  } catch {
    throw new ToolInputError(`File not found in the ingest folder: ${filePath}`);
  }
  if (resolved !== allowed && !resolved.startsWith(allowed + path.sep)) throw new ToolInputError(`${filePath} is outside the ingest folder; only files under it can be uploaded.`);
  const info = await stat(resolved);
  if (!info.isFile()) throw new ToolInputError(`${filePath} is not a file.`);
  if (info.size > MAX_FILE_BYTES) throw new ToolInputError(`${filePath} is ${info.size} bytes; Clari accepts at most 10 MB per bulk upload. Split it into batches.`);
  return readFile(resolved);
}

export const ingestBulk = defineTool({
  name: "clari_ingest_bulk",
  title: "Bulk upload entity data",
  description:
    "Partner ingest: upload account/opportunity fields as one JSON file (inline datasets or filePath in the ingest folder; max 10 MB) and wait.",
  toolset: "ingest",
  inputSchema: {
    entity: entityInput,
    datasets: z.array(ingestDatasetInput).min(1).optional().describe("As in clari_ingest_records, no 100 limit"),
    filePath: z.string().min(1).max(1000).optional().describe("Relative to the ingest folder"),
    ...ingestOptionsShape,
    waitSeconds: waitSecondsInput,
  },
  outputSchema: { jobId: z.string(), status: z.string(), outcome: z.enum(["done", "running", "failed", "cancelled"]), message: z.string().optional() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  writesClariData: true,
  async handler({ entity, datasets, filePath, mode, isLastBatch, waitSeconds }, deps, call) {
    if ((datasets === undefined) === (filePath === undefined)) throw new ToolInputError("Give exactly one of datasets (inline records) or filePath.");
    const content = filePath ? await readAllowedFile(filePath, deps) : Buffer.from(JSON.stringify(datasets));
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
