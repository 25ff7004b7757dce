import { auditFilterShape, auditLocalFilterShape } from "../kit/audit-filters.js";
import { defineExportTool } from "../kit/define-export-tool.js";

export const exportAuditEvents = defineExportTool({
  name: "clari_export_audit_events",
  title: "Export audit events",
  description:
    "Export audit events (who changed what, last ~30 days) as one file and wait; returns counts by event, tab and actor. " +
    "For a quick look use clari_list_audit_events. Spends 1 monthly export unless reused.",
  toolset: "audit",
  kind: "audit",
  inputSchema: { ...auditFilterShape, ...auditLocalFilterShape },
  summaryFilters: ["forecastId", "changesOnly"],
  queue: ({ forecastId: _tab, changesOnly: _changes, ...filters }, client, signal) => client.exportAuditEvents(filters, { signal }),
});
