/**
 * GET /opportunity?oppId=A&oppId=B[&mode=]: 1..100 repeated ids; unknown ids are left out.
 * Each item follows the spec: {id, crmScore {score, message}, fields [{id, alias, value, trend,
 * trendHistory}]} plus oppId and name for convenience.
 */
import type { Opportunity, TrendPoint } from "./crm.js";
import { opportunityError } from "./errors.js";
import type { Reply, RequestContext } from "./types.js";

export const MAX_OPP_IDS = 100;

interface OppField {
  id: string;
  alias: string;
  value: unknown;
  originalValue?: unknown;
  imageUrl?: string;
  trend: string;
  trendHistory: TrendPoint[];
}

function trendOf(history: readonly TrendPoint[], kind: "number" | "date" | "stage"): string {
  const last = history[history.length - 1];
  if (!last) return "NONE";
  if (kind === "number") {
    const a = Number(last.oldValue);
    const b = Number(last.newValue);
    return b > a ? "UP" : b < a ? "DOWN" : "NONE";
  }
  if (kind === "date") return String(last.newValue) > String(last.oldValue) ? "PUSHED" : "PULLED";
  return "CHANGED";
}

function scoreImage(score: number): string {
  if (score >= 70) return "/images/CardOppSunny@2x.png";
  if (score >= 40) return "/images/CardOppCloudy@2x.png";
  return "/images/CardOppRainy@2x.png";
}

export function opportunityView(o: Opportunity): Record<string, unknown> {
  const plain = (id: string, alias: string, value: unknown): OppField => ({ id, alias, value, trend: "NONE", trendHistory: [] });
  const firstAmount = o.history.amount[0]?.oldValue ?? o.amount;
  const fields: OppField[] = [
    plain("opportunity.name", "Opportunity Name", o.name),
    plain("opportunity.accountName", "Account Name", o.accountName),
    plain("opportunity.owner", "Opportunity Owner", o.ownerName),
    {
      id: "opportunity.amount",
      alias: "Amount",
      value: o.amount,
      originalValue: firstAmount,
      trend: trendOf(o.history.amount, "number"),
      trendHistory: o.history.amount,
    },
    { id: "opportunity.stageName", alias: "Stage", value: o.stage, trend: trendOf(o.history.stage, "stage"), trendHistory: o.history.stage },
    {
      id: "opportunity.closeDate",
      alias: "Close Date",
      value: o.closeDate,
      trend: trendOf(o.history.closeDate, "date"),
      trendHistory: o.history.closeDate,
    },
    plain("opportunity.forecastCategory", "Forecast Category", o.forecastCategory),
    plain("opportunity.probability", "Probability (%)", o.probability),
    plain("opportunity.nextStep", "Next Step", o.nextStep),
    plain("opportunity.lastActivityDate", "Last Activity", o.lastActivityDate),
    { ...plain("opportunity.clariScore", "Clari Score", o.crmScore.score), imageUrl: scoreImage(o.crmScore.score) },
  ];
  return { id: o.oppId, oppId: o.oppId, name: o.name, crmScore: o.crmScore, fields };
}

/** GET /opportunity */
export function getOpportunities(ctx: RequestContext): Reply {
  const ids = ctx.query.getAll("oppId").map((s) => s.trim()).filter((s) => s !== "");
  if (ids.length === 0) return opportunityError(400, "invalid query parameter", "oppId is required");
  const unique = [...new Set(ids)];
  if (unique.length > MAX_OPP_IDS) {
    return opportunityError(400, "invalid query parameter", `oppId accepts at most ${MAX_OPP_IDS} values, got ${unique.length}`);
  }
  const index = ctx.state.org.opportunityIndex();
  const out: Array<Record<string, unknown>> = [];
  for (const id of unique) {
    const o = index.get(id);
    if (o) out.push(opportunityView(o));
  }
  return { status: 200, json: out };
}
