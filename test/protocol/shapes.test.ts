/**
 * The same forecast answered through MCP from each result shape Clari may send: JSON tables
 * (real Clari), the spec's flat array (sandbox in spec mode) and CSV. Summary and query answers
 * must not depend on the shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

const commitVsQuota = (jobId: string): string =>
  `SELECT p.role, sum(f.value) FILTER (WHERE f.field = 'Commit') AS "Commit", sum(f.value) FILTER (WHERE f.field = 'Quota') AS "Quota"
   FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.export_id = '${jobId}' AND f.is_latest_week AND NOT p.is_rep GROUP BY p.role ORDER BY p.role`;

let tables: Harness;
let spec: Harness;
beforeAll(async () => {
  tables = await startHarness({ sandbox: { seed: 5 } });
  spec = await startHarness({ sandbox: { seed: 5, shape: "bare" } });
});
afterAll(async () => {
  await tables.close();
  await spec.close();
});

async function answer(h: Harness, exportArgs: Record<string, unknown>) {
  const exported = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_arr", ...exportArgs } });
  expect(exported.isError, JSON.stringify(exported.content)).toBeFalsy();
  const { jobId, summary } = exported.structuredContent as { jobId: string; summary: { userCount: number; weeks: { latestWeek: number } } };
  const query = await h.client.callTool({ name: "clari_query", arguments: { sql: commitVsQuota(jobId), limit: 500 } });
  expect(query.isError, JSON.stringify(query.content)).toBeFalsy();
  const out = query.structuredContent as { columns: Array<{ name: string }>; rows: unknown[][] };
  return { summary, rows: out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]]))) };
}

describe("one answer whatever the export's shape", () => {
  it("gives the same commit vs quota per manager from JSON tables, the flat array and CSV", async () => {
    const fromTables = await answer(tables, {});
    const fromFlat = await answer(spec, {});
    const fromCsv = await answer(tables, { exportFormat: "CSV" });
    expect(fromTables.rows.length).toBeGreaterThan(3);
    for (const other of [fromFlat, fromCsv]) {
      expect(other.summary.userCount).toBe(fromTables.summary.userCount);
      expect(other.summary.weeks.latestWeek).toBe(fromTables.summary.weeks.latestWeek);
      expect(other.rows.map((r) => r.role)).toEqual(fromTables.rows.map((r) => r.role));
      other.rows.forEach((row, i) => {
        expect(row.Commit as number).toBeCloseTo(fromTables.rows[i]!.Commit as number, 2);
        expect(row.Quota as number).toBeCloseTo(fromTables.rows[i]!.Quota as number, 2);
      });
    }
  });
});
