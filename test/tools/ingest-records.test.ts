/**
 * clari_ingest_records: the records reach the sandbox with the batch options given: it counts them,
 * and once an initial load's last batch is in, it refuses another initial batch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestRecords } from "../../src/tools/catalog/ingest-records.js";
import { API_KEY, PARTNER_KEY, startHarness, type Harness } from "../helpers/harness.js";
import { call, ingestRecord } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_ingest_records", () => {
  it("upserts the records of each dataset, as the last batch of an initial load", async () => {
    const datasets = [
      { sourceEntity: "health", records: [ingestRecord("001Z000000xOn4bIAA", { healthScore: 88 }), ingestRecord("001Z000000xOn4bIAC", { healthScore: 41 })] },
      { sourceEntity: "adoption", records: [ingestRecord("001Z000000xOn4bIAA", { adoptionDate: "2022-10-01T07:00:00Z" })] },
    ];
    const { out } = await call(h, ingestRecords, { entity: "account", datasets, mode: "initial", isLastBatch: true });
    expect(out).toMatchObject({ entity: "account", records: 3, status: 200 });
    expect(h.sandbox.stats().ingestedRecords).toBe(3);
    const again = await fetch(`${h.sandbox.v2Url}/ingest/entity/account?mode=initial`, {
      method: "POST",
      headers: { apikey: API_KEY, partnerkey: PARTNER_KEY, "content-type": "application/json" },
      body: JSON.stringify(datasets),
    });
    expect(again.status).toBe(400);
  });
});
