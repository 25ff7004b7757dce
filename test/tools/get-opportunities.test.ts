/** clari_get_opportunities: opportunities and their scores as the sandbox's GET /opportunity gives them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getOpportunities } from "../../src/tools/catalog/get-opportunities.js";
import type { RawActivity, RawOpportunity } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, DAY_MS, isoDay, raw, rawExport } from "./tool-call.js";

let h: Harness;
let ids: string[];
let byId: Map<string, RawOpportunity>;
const field = (o: RawOpportunity, id: string) => o.fields.find((f) => f.id === id)?.value;

beforeAll(async () => {
  h = await startHarness();
  // Ids as an assistant gets them: from an activity export (queued here straight with the sandbox).
  const now = Date.now();
  const file = await rawExport<{ activities: RawActivity[] }>(h, "/export/activity", { startDate: isoDay(now - 60 * DAY_MS), endDate: isoDay(now + DAY_MS) });
  ids = [...new Set(file.activities.flatMap((a) => a.opportunities.map((o) => o.opportunityId)))].slice(0, 12);
  expect(ids).toHaveLength(12);
  const found = await raw<RawOpportunity[] | { opportunities: RawOpportunity[] }>("GET", `${h.sandbox.v4Url}/opportunity?${ids.map((id) => `oppId=${id}`).join("&")}`);
  byId = new Map((Array.isArray(found) ? found : found.opportunities).map((o) => [o.id, o]));
});
afterAll(() => h.close());

describe("clari_get_opportunities", () => {
  it("gives each opportunity's default fields and score, and names the ids Clari does not know", async () => {
    const unknown = "006000000000000AAA";
    const { out } = await call(h, getOpportunities, { oppIds: [...ids, unknown] });
    expect(out).toMatchObject({ found: ids.length, missing: [unknown] });
    expect(out.columns).toEqual(["id", "name", "account", "stage", "amount", "closeDate", "owner", "score", "scoreMessage"]);
    expect(out.rows.map((r) => r[0])).toEqual(ids.slice(0, 10));
    for (const row of out.rows) {
      const o = byId.get(row[0] as string)!;
      expect(row).toEqual([
        o.id,
        field(o, "opportunity.name"),
        field(o, "opportunity.accountName"),
        field(o, "opportunity.stageName"),
        field(o, "opportunity.amount"),
        field(o, "opportunity.closeDate"),
        field(o, "opportunity.owner"),
        o.crmScore?.score,
        o.crmScore?.message,
      ]);
    }
  });

  it("sorts by score and skips closed deals when asked", async () => {
    const { out } = await call(h, getOpportunities, { oppIds: ids, fields: ["score"], sort: "score_desc", openOnly: true, limit: 100 });
    const open = [...byId.values()].filter((o) => !/^Closed (Won|Lost)$/.test(String(field(o, "opportunity.stageName"))));
    expect(out.closedSkipped).toBe(ids.length - open.length);
    expect(out.rows).toEqual(open.sort((a, b) => b.crmScore!.score! - a.crmScore!.score!).map((o) => [o.id, o.crmScore!.score]));
  });
});
