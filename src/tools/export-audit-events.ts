import { auditFilterShape } from "./shared/audit-filters.js";
import { defineTool } from "./define-tool.js";
import { exportResultShape, freshInput, waitSecondsInput } from "./shared/export-answer.js";
import { runExportTool } from "./shared/define-export-tool.js";

export const exportAuditEvents = defineTool({
  name: "clari_export_audit_events",
  title: "Export audit events",
  description:
    "Export audit events (who changed what, last ~30 days) as one file and wait; returns counts by event and actor. " +
    "For a quick look use clari_list_audit_events. Spends 1 monthly export unless reused.",
  toolset: "audit",
  inputSchema: { ...auditFilterShape, waitSeconds: waitSecondsInput, fresh: freshInput },
  outputSchema: exportResultShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  writesClariData: false,
  async handler(args, deps, call) {
    const { waitSeconds, fresh, ...filters } = args;
    return runExportTool("audit", { waitSeconds, fresh }, filters, (signal) => deps.client.exportAuditEvents(filters, { signal }), deps, call);
  },
});

