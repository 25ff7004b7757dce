/**
 * defineExportTool: the three export tools differ only in their name, words, inputs and the
 * Clari call that queues the job. Everything else (the common inputs, the output, annotations,
 * handing the request to the export life cycle and shaping its answer) is written once here.
 */
import type { z } from "zod";
import type { ClariClient } from "../../client/clari-client.js";
import type { Toolset } from "../../config.js";
import { defineTool, type ToolDefinition } from "./define-tool.js";
import { answerExport, exportResultShapeOf, freshInput, waitSecondsInput, type ExportResultShape } from "./export-answer.js";
import {
  ActivitySummarySchema,
  AuditSummarySchema,
  ForecastSummarySchema,
  KIND_LABEL,
  obtainExport,
  summariseStored,
  type ExportKind,
  type ExportSummary,
} from "../../exports/index.js";

const commonShape = { waitSeconds: waitSecondsInput, fresh: freshInput };
type Common = typeof commonShape;

/** The summary each kind of export answers with. */
const SUMMARY_SCHEMA: Record<ExportKind, z.ZodType<ExportSummary>> = { forecast: ForecastSummarySchema, audit: AuditSummarySchema, activity: ActivitySummarySchema };

export interface ExportToolSpec<I extends z.ZodRawShape> {
  name: `clari_export_${string}`;
  title: string;
  description: string;
  toolset: Toolset;
  kind: ExportKind;
  /** The MCP App view shown with this tool's results (see ToolDefinition.uiResourceUri). */
  uiResourceUri?: `ui://${string}`;
  /** The export's own parameters (waitSeconds and fresh are added). */
  inputSchema: I;
  /** Queue the job with Clari: the parameters that define the export, and the call. */
  queue(params: z.output<z.ZodObject<I>>, client: ClariClient, signal: AbortSignal): Promise<{ jobId: string }>;
}

export function defineExportTool<I extends z.ZodRawShape>(spec: ExportToolSpec<I>): ToolDefinition<I & Common, ExportResultShape> {
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    toolset: spec.toolset,
    inputSchema: { ...spec.inputSchema, ...commonShape } as I & Common,
    outputSchema: exportResultShapeOf(SUMMARY_SCHEMA[spec.kind]),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    writesClariData: false,
    ...(spec.uiResourceUri ? { uiResourceUri: spec.uiResourceUri } : {}),
    task: { jobKind: () => "export" },
    async handler(args, deps, call) {
      const { waitSeconds, fresh, ...rest } = args as { waitSeconds?: number; fresh: boolean } & Record<string, unknown>;
      const params = rest as z.output<z.ZodObject<I>>;
      const outcome = await obtainExport(
        { kind: spec.kind, request: params as Record<string, unknown>, queue: (signal) => spec.queue(params, deps.client, signal), waitSeconds: waitSeconds ?? deps.config.waitSeconds, fresh },
        deps,
        call,
      );
      return answerExport(outcome, KIND_LABEL[spec.kind], (entry) => summariseStored(entry, deps));
    },
  });
}
