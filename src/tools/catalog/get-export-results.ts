import { z } from "zod";
import { jobIdInput } from "../kit/common-inputs.js";
import { defineTool, resourceLink } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";
import { exportUri } from "../../resources/uris.js";
import { eventRows, storedExport } from "../../exports/index.js";

export const getExportResults = defineTool({
  name: "clari_get_export_results",
  title: "Read export rows",
  description:
    "Page through a DONE export's normalised rows (forecast rows, audit events or activities). For totals prefer clari_query.",
  toolset: "jobs",
  inputSchema: {
    jobId: jobIdInput,
    page: listedPlain(z.number().int().min(1).max(100000)).default(1),
    pageSize: z.number().int().min(1).max(200).default(50),
  },
  outputSchema: {
    jobId: z.string(),
    kind: z.string(),
    page: z.number(),
    pageSize: z.number(),
    totalRows: z.number(),
    rows: z.array(z.looseObject({})),
    nextPage: z.number().optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ jobId, page, pageSize }, deps, call) {
    const entry = await storedExport(jobId, deps, call.signal);
    const start = (page - 1) * pageSize;
    let totalRows: number;
    let rows: Record<string, unknown>[];
    if (entry.kind === "forecast") {
      const table = await deps.tables.get(jobId);
      totalRows = table.length;
      rows = [];
      for (let i = start; i < Math.min(totalRows, start + pageSize); i++) rows.push({ ...table.row(i) });
    } else {
      const all = eventRows(entry.kind, JSON.parse((await deps.store.read(jobId)).toString("utf8")) as unknown);
      totalRows = all.length;
      rows = all.slice(start, start + pageSize);
    }
    const nextPage = start + pageSize < totalRows ? page + 1 : undefined;
    return {
      text: `${entry.kind} export ${jobId}: rows ${totalRows ? start + 1 : 0}-${start + rows.length} of ${totalRows}.${nextPage ? ` Next: page ${nextPage}.` : ""}`,
      structured: { jobId, kind: entry.kind, page, pageSize, totalRows, rows, ...(nextPage ? { nextPage } : {}) },
      links: [resourceLink(exportUri(jobId), `export ${jobId}`, `Whole ${entry.kind} export file`, entry.mimeType)],
    };
  },
});
