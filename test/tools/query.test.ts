/** clari_query: SQL over a stored audit export, checked against counts made by hand from the file the sandbox serves. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractTable } from "../../src/exports/query/contract.js";
import { exportAuditEvents } from "../../src/tools/catalog/export-audit-events.js";
import { query } from "../../src/tools/catalog/query.js";
import type { RawAudit } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, counts, raw } from "./tool-call.js";

let h: Harness;
let file: RawAudit;
beforeAll(async () => {
  h = await startHarness();
  const jobId = (await call(h, exportAuditEvents, { waitSeconds: 30 })).out.jobId;
  file = await raw<RawAudit>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}/results`);
});
afterAll(() => h.close());

describe("clari_query", () => {
  it("counts audit events per event as the export file has them", async () => {
    const { out, text } = await call(h, query, { sql: "SELECT event, count(*) AS n FROM audit_events GROUP BY event ORDER BY n DESC, event" });
    const expected = [...counts(file.items, (i) => i.event)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(out.columns).toEqual([
      { name: "event", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
    ]);
    expect(out.rows).toEqual(expected.map(([event, n]) => [event, n]));
    expect(out).toMatchObject({ row_count: expected.length, truncated: false });
    expect(text).toContain(`| ${expected[0]![0]} | ${expected[0]![1]} |`);
  });

  it("returns at most limit rows of a larger answer and says it is truncated", async () => {
    const { out } = await call(h, query, { sql: "SELECT actor_id FROM audit_events", limit: 5 });
    expect(out.rows).toHaveLength(5);
    expect(out).toMatchObject({ row_count: file.items.length, truncated: true });
  });

  it("answers DESCRIBE, which its description offers for a table's columns, with the contract's columns", async () => {
    expect(query.description).toContain("DESCRIBE t");
    const { out } = await call(h, query, { sql: "DESCRIBE audit_events", limit: 100 });
    expect(out.columns[0]).toEqual({ name: "column_name", type: "VARCHAR" });
    expect(out.rows.map((r) => r[0])).toEqual(contractTable("audit_events").columns.map((c) => c.name));
  });
});
