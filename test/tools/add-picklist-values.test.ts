/** clari_add_picklist_values: the sandbox's GET of the entity's picklists then shows the values added. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPicklistValues } from "../../src/tools/catalog/add-picklist-values.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const picklists = () => raw<Record<string, string[]>>("GET", `${h.sandbox.v2Url}/ingest/schema/opportunity/field`);

describe("clari_add_picklist_values", () => {
  it("adds new values after the existing ones, and keeps a value already there once", async () => {
    const before = await picklists();
    expect(before.competitors).not.toContain("Umbrella");
    const { out, text } = await call(h, addPicklistValues, { entity: "opportunity", fieldName: "competitors", fieldType: "multipicklist", values: ["Umbrella", before.competitors![0]!] });
    expect(out).toMatchObject({ entity: "opportunity", fieldName: "competitors", added: 2 });
    const after = await picklists();
    expect(after.competitors).toEqual([...before.competitors!, "Umbrella"]);
    expect(after.riskLevel).toEqual(before.riskLevel);
    expect(text).toContain("opportunity.competitors");
  });
});
