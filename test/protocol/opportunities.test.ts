/**
 * clari_get_opportunities: chosen fields, score order, a limit, open deals only, and a compact
 * answer: 100 real ids with the default fields stay under 4 KB (text and structuredContent).
 * Expected values come from the sandbox's raw HTTP replies, not from the tool.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Opportunity } from "../../src/client/schemas.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;
let ids: string[];
let raw: Map<string, Opportunity>;

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 7 } });
  await h.client.listTools(); // the SDK client then checks structuredContent against the output schema
  // 100 opportunity ids from an activity export, as an assistant would get them.
  const now = Date.now();
  const exported = await h.client.callTool({ name: "clari_export_activity", arguments: { startDate: iso(now - 110 * DAY), endDate: iso(now + 10 * DAY) } });
  expect(exported.isError, textOf(exported)).toBeFalsy();
  const file = (await h.clari.getExportResultsJson((exported.structuredContent as { jobId: string }).jobId)) as { activities: Array<{ opportunities: Array<{ opportunityId: string }> }> };
  ids = [...new Set(file.activities.flatMap((a) => a.opportunities.map((o) => o.opportunityId)))].slice(0, 100);
  expect(ids).toHaveLength(100);
  raw = new Map((await h.clari.getOpportunities(ids)).map((o) => [o.id ?? o.oppId ?? "", o]));
});
afterAll(() => h.close());

const field = (o: Opportunity, id: string) => o.fields.find((f) => f.id === id)?.value;

async function lookUp(args: Record<string, unknown>) {
  const result = await h.client.callTool({ name: "clari_get_opportunities", arguments: { oppIds: ids, ...args } });
  expect(result.isError, textOf(result)).toBeFalsy();
  const out = result.structuredContent as { found: number; missing: string[]; closedSkipped?: number; columns: string[]; rows: unknown[][] };
  const bytes = Buffer.byteLength(textOf(result)) + Buffer.byteLength(JSON.stringify(result.structuredContent));
  return { text: textOf(result), out, bytes, records: out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c, r[i]]))) };
}

describe("clari_get_opportunities", () => {
  it("answers 100 ids with the default fields in under 4 KB, and keeps every full record", async () => {
    const before = (await h.deps.observations.opportunityLookups()).length;
    const { out, bytes, text, records } = await lookUp({});
    console.log(`100 ids, default fields: ${bytes} bytes (text + structuredContent)\n${text}`);
    expect(bytes).toBeLessThan(4096);
    expect(out.found).toBe(100);
    expect(out.columns).toEqual(["id", "name", "account", "stage", "amount", "closeDate", "owner", "score", "scoreMessage"]);
    for (const r of records) {
      const o = raw.get(r.id as string)!;
      expect(r).toEqual({
        id: o.id,
        name: field(o, "opportunity.name"),
        account: field(o, "opportunity.accountName"),
        stage: field(o, "opportunity.stageName"),
        amount: field(o, "opportunity.amount"),
        closeDate: field(o, "opportunity.closeDate"),
        owner: field(o, "opportunity.owner"),
        score: o.crmScore?.score,
        scoreMessage: o.crmScore?.message,
      });
    }
    expect(records.map((r) => r.id)).toEqual(ids.slice(0, records.length));
    const kept = await h.deps.observations.opportunityLookups();
    expect(kept.length).toBe(before + 1);
  });

  it("selects fields by alias or id, sorts by score, limits, and skips closed deals", async () => {
    const { out, records } = await lookUp({ fields: ["Forecast Category", "opportunity.probability", "stage", "score"], sort: "score_asc", limit: 100, openOnly: true });
    const open = [...raw.values()].filter((o) => !/^Closed (Won|Lost)$/.test(String(field(o, "opportunity.stageName"))));
    expect(open.length).toBeLessThan(100);
    expect(out.closedSkipped).toBe(100 - open.length);
    expect(out.columns).toEqual(["id", "Forecast Category", "opportunity.probability", "stage", "score"]);
    expect(records).toHaveLength(open.length);
    const scores = records.map((r) => r.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    for (const r of records) {
      const o = raw.get(r.id as string)!;
      expect(r["Forecast Category"]).toBe(field(o, "opportunity.forecastCategory"));
      expect(r["opportunity.probability"]).toBe(field(o, "opportunity.probability"));
      expect(String(r.stage)).not.toMatch(/^Closed/);
    }
    const top = await lookUp({ sort: "score_desc", limit: 3, fields: ["score"] });
    const best = [...raw.values()].map((o) => o.crmScore!.score!).sort((a, b) => b - a).slice(0, 3);
    expect(top.records.map((r) => r.score)).toEqual(best);
    expect(top.text).toMatch(/showing 3 \(limit 3; more with limit up to 100\), by score descending/);
  });

  it("names a field it cannot find, with the fields there are", async () => {
    const { text, records } = await lookUp({ fields: ["Nonexistent Field"], limit: 1 });
    expect(text).toMatch(/No field Nonexistent Field; fields: [^\n]*Close Date/);
    expect(records[0]!["Nonexistent Field"]).toBeNull();
  });
});
