import { z } from "zod";
import { defineTool } from "./define-tool.js";
import { lookUpOpportunities } from "./shared/observed-reads.js";

export const getOpportunities = defineTool({
  name: "clari_get_opportunities",
  title: "Get opportunities",
  description: "1-100 opportunities by CRM id: Clari's crmScore (deal risk) and fields with trends. Ids from the CRM or an activity export.",
  toolset: "opportunity",
  inputSchema: {
    oppIds: z
      .array(z.string().regex(/^[A-Za-z0-9]{15,18}$/, "an opportunity id is a 15 or 18 character CRM id"))
      .min(1)
      .max(100),
    mode: z.string().regex(/^[A-Z_]{1,64}$/).optional(),
  },
  outputSchema: {
    found: z.number(),
    missing: z.array(z.string()),
    opportunities: z.array(z.object({ id: z.string().optional(), crmScore: z.object({ score: z.number().optional(), message: z.string().optional() }).loose().optional() }).loose()),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ oppIds, mode }, deps, call) {
    const opportunities = (await lookUpOpportunities(deps, oppIds, mode, call.signal)).map((o) => ({ ...o, id: o.id ?? o.oppId }));
    const seen = new Set(opportunities.map((o) => o.id));
    const missing = oppIds.filter((id) => !seen.has(id));
    const lines = opportunities.map((o) => {
      const name = o.fields.find((f) => /name/i.test(f.id ?? ""))?.value;
      return `${o.id}${name ? ` ${String(name)}` : ""}: score ${o.crmScore?.score ?? "?"}${o.crmScore?.message ? ` (${o.crmScore.message})` : ""}`;
    });
    return {
      text: `${opportunities.length} of ${oppIds.length} found${missing.length ? `; not found: ${missing.join(", ")}` : ""}.\n${lines.join("\n")}`,
      structured: { found: opportunities.length, missing, opportunities },
    };
  },
});
