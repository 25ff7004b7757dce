/** The body every export tool shares: run the export request, then answer with its summary. */
import type { ExportKind } from "../../exports/store/store.js";
import type { CallContext, Deps } from "../../deps.js";
import { answerExport } from "./export-answer.js";
import { runExport } from "../../exports/jobs/obtain.js";
import { KIND_LABEL, summariseStored } from "../../exports/summary/summarise-stored.js";

export async function runExportTool(
  kind: ExportKind,
  options: { waitSeconds?: number | undefined; fresh: boolean },
  request: Record<string, unknown>,
  queue: (signal: AbortSignal) => Promise<{ jobId: string }>,
  deps: Deps,
  call: CallContext,
) {
  const outcome = await runExport({ kind, request, queue, waitSeconds: options.waitSeconds ?? deps.config.waitSeconds, fresh: options.fresh }, deps, call);
  return answerExport(outcome, KIND_LABEL[kind], (entry) => summariseStored(entry, deps));
}
