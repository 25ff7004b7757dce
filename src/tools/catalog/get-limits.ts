import { z } from "zod";
import { defineTool } from "../kit/define-tool.js";

export const getLimits = defineTool({
  name: "clari_get_limits",
  title: "Get export limits",
  description: "Monthly export quota and concurrent-job limit: what remains and which jobs hold the slots.",
  toolset: "admin",
  inputSchema: {},
  outputSchema: {
    monthlyQuota: z.number().optional(),
    availableMonthlyQuota: z.number().optional(),
    concurrentLimit: z.number().optional(),
    availableConcurrentLimit: z.number().optional(),
    runningJobIds: z.array(z.string()),
    submittedJobCount: z.number(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler(_args, deps, call) {
    const limits = await deps.client.getLimits({ signal: call.signal });
    const structured = {
      monthlyQuota: limits.monthlyQuota,
      availableMonthlyQuota: limits.availableMonthlyQuota,
      concurrentLimit: limits.concurrentLimit,
      availableConcurrentLimit: limits.availableConcurrentLimit,
      runningJobIds: limits.runningJobIds,
      submittedJobCount: limits.submittedJobIds.length,
    };
    return {
      text:
        `Monthly exports: ${limits.availableMonthlyQuota ?? "?"} of ${limits.monthlyQuota ?? "?"} left. ` +
        `Concurrent: ${limits.availableConcurrentLimit ?? "?"} of ${limits.concurrentLimit ?? "?"} free` +
        (limits.runningJobIds.length ? ` (running: ${limits.runningJobIds.join(", ")}).` : "."),
      structured,
    };
  },
});
