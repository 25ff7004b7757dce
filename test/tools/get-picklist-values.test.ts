/** clari_get_picklist_values: an entity's picklists as the sandbox's GET /ingest/schema/{entity}/field gives them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPicklistValues } from "../../src/tools/catalog/get-picklist-values.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_get_picklist_values", () => {
  it("gives every picklist of an entity, or only the fields named", async () => {
    const all = await raw<Record<string, string[]>>("GET", `${h.sandbox.v2Url}/ingest/schema/opportunity/field`);
    expect(Object.keys(all).length).toBeGreaterThan(1);
    const { out, text } = await call(h, getPicklistValues, { entity: "opportunity" });
    expect(out).toEqual({ entity: "opportunity", fields: all, context: out.context });
    for (const [field, values] of Object.entries(all)) expect(text).toContain(`${field}: ${values.join(", ")}`);

    const some = await call(h, getPicklistValues, { entity: "opportunity", fieldNames: ["riskLevel"] });
    expect(some.out.fields).toEqual({ riskLevel: all.riskLevel });
  });
});
