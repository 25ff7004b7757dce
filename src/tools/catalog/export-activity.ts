import { z } from "zod";
import { isoDateInput } from "../kit/common-inputs.js";
import { defineExportTool } from "../kit/define-export-tool.js";

export const exportActivity = defineExportTool({
  name: "clari_export_activity",
  title: "Export sales activity",
  description:
    "Export meetings, emails and attachments for a date range and wait; returns counts by type and top accounts. " +
    "Spends 1 monthly export unless reused.",
  toolset: "activity",
  kind: "activity",
  inputSchema: {
    activityTypes: z
      .array(z.enum(["MEETING", "EMAIL_SENT", "EMAIL_RECEIVED", "ATTACHMENT_SENT", "ATTACHMENT_RECEIVED"]))
      .min(1)
      .optional()
      .describe("Default: all types"),
    startDate: isoDateInput.describe("e.g. 2026-11-01T00:00:00Z"),
    endDate: isoDateInput.describe("e.g. 2026-11-30; only the date counts"),
  },
  queue: (params, client, signal) => client.exportActivity(params, { signal }),
});
