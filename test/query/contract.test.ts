/**
 * clari_query's tables, through MCP: every table and column of the contract exists with its
 * documented type, and the numbers agree with numbers computed by hand from the export file
 * as the sandbox serves it over HTTP (never through the engine).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRACT } from "../../src/exports/query/contract.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;
let jobId: string;
let raw: RawTables;

interface RawEntry {
  userId: string;
  fieldId: string;
  timeFrameId: string;
  forecastValue?: number;
  quotaValue?: number;
  adjustmentValue?: number;
  isUpdated?: boolean;
  updatedBy?: string;
  updatedOn?: number;
}
interface RawTables {
  entries: RawEntry[];
  users: Array<{ userId: string; name: string; hierarchyId: string; parentHierarchyId: string }>;
  fields: Array<{ fieldId: string; fieldName: string }>;
  timeFrames: Array<{ timeFrameId: string; startDate: string }>;
}

const TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];

type Out = { columns: Array<{ name: string; type: string }>; rows: unknown[][]; row_count: number; truncated: boolean };

export async function sql(text: string, limit?: number): Promise<Out> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql: text, ...(limit ? { limit } : {}) } });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as Out;
}

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 7 } });
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", typesToExport: TYPES, includeHistorical: true } });
  jobId = (result.structuredContent as { jobId: string }).jobId;
  raw = (await h.clari.getExportResultsJson(jobId)) as RawTables;
}, 60_000);
afterAll(() => h.close());

const latestFrame = (): string => [...raw.timeFrames].sort((a, b) => a.startDate.localeCompare(b.startDate)).at(-1)!.timeFrameId;
const fieldId = (name: string): string => raw.fields.find((f) => f.fieldName === name)!.fieldId;

describe("the contract", () => {
  it("has every table and column with its documented type", async () => {
    // mcp_calls is made on the query's own connection when the SQL names it (a TEMP table, schema main of catalog temp).
    const out = await sql("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' OR table_name = 'mcp_calls'", 500);
    const got = new Map(out.rows.map(([t, c, type]) => [`${t}.${c}`, String(type)]));
    const alias: Record<string, string> = { TIMESTAMPTZ: "TIMESTAMP WITH TIME ZONE" };
    for (const table of CONTRACT) {
      for (const column of table.columns) expect(got.get(`${table.name}.${column.name}`), `${table.name}.${column.name}`).toBe(alias[column.type] ?? column.type);
    }
  });

  it("describes the export", async () => {
    const out = await sql(`SELECT kind, forecast_id, time_period, types, include_historical, row_count, finished_at FROM exports WHERE export_id = '${jobId}'`);
    const [kind, forecastId, period, types, historical, rows, finished] = out.rows[0]!;
    expect([kind, forecastId, historical]).toEqual(["forecast", "net_bookings", true]);
    expect(period).toMatch(/^\d{4}_Q[1-4]$/);
    expect(types).toEqual([...TYPES].sort());
    expect(finished).toMatch(/^\d{4}-\d\d-\d\dT/);
    const weeks = new Set(raw.entries.map((e) => e.timeFrameId)).size;
    expect(weeks).toBeGreaterThan(0);
    expect(rows).toBe(new Set(raw.entries.map((e) => `${e.userId}|${e.fieldId}|${e.timeFrameId}`)).size);
  });
});

describe("numbers against the raw export", () => {
  it("the latest week's total commit and quota", async () => {
    const frame = latestFrame();
    const sum = (field: string, key: "forecastValue" | "quotaValue") =>
      raw.entries.filter((e) => e.timeFrameId === frame && e.fieldId === fieldId(field)).reduce((a, e) => a + (e[key] ?? 0), 0);
    const out = await sql("SELECT field, sum(value) FROM forecast WHERE is_latest_week AND field IN ('Commit', 'Quota') GROUP BY field ORDER BY field");
    expect(out.rows.map((r) => r[0])).toEqual(["Commit", "Quota"]);
    expect(out.rows[0]![1] as number).toBeCloseTo(sum("Commit", "forecastValue"), 4);
    expect(out.rows[1]![1] as number).toBeCloseTo(sum("Quota", "quotaValue"), 4);
  });

  it("who has not updated their Commit this week", async () => {
    const frame = latestFrame();
    const expected = raw.entries.filter((e) => e.timeFrameId === frame && e.fieldId === fieldId("Commit") && e.isUpdated === false).map((e) => e.userId).sort();
    const out = await sql("SELECT user_id FROM forecast WHERE is_latest_week AND field = 'Commit' AND NOT updated ORDER BY user_id", 500);
    expect(out.rows.map((r) => r[0])).toEqual(expected);
  });

  it("updated_by and updated_on as exported", async () => {
    const e = raw.entries.find((x) => x.isUpdated === true && x.updatedOn !== undefined)!;
    const field = raw.fields.find((f) => f.fieldId === e.fieldId)!.fieldName;
    const start = raw.timeFrames.find((t) => t.timeFrameId === e.timeFrameId)!.startDate;
    const out = await sql(`SELECT updated_by, updated_on FROM forecast WHERE user_id = '${e.userId}' AND field = '${field}' AND week_start = DATE '${start}'`);
    expect(out.rows).toEqual([[e.updatedBy, new Date(e.updatedOn!).toISOString()]]);
  });

  it("people: managers, levels and reps from the users table", async () => {
    const byHierarchy = new Map(raw.users.map((u) => [u.hierarchyId, u]));
    const out = await sql("SELECT user_id, manager_user_id, level, is_rep FROM people ORDER BY user_id", 500);
    expect(out.row_count).toBe(raw.users.length);
    const managers = new Set(raw.users.map((u) => u.parentHierarchyId));
    const level = (u: (typeof raw.users)[number]): number => (u.parentHierarchyId ? 1 + level(byHierarchy.get(u.parentHierarchyId)!) : 0);
    for (const [userId, managerId, lvl, isRep] of out.rows) {
      const u = raw.users.find((x) => x.userId === userId)!;
      expect(managerId).toBe(u.parentHierarchyId ? byHierarchy.get(u.parentHierarchyId)!.userId : null);
      expect(lvl).toBe(level(u));
      expect(isRep).toBe(!managers.has(u.hierarchyId));
    }
  });

  it("reports_to: a VP's team, every depth", async () => {
    const vp = raw.users.find((u) => u.parentHierarchyId !== "" && raw.users.some((m) => m.parentHierarchyId === u.hierarchyId))!;
    const team = new Set<string>();
    const walk = (hid: string) => raw.users.filter((u) => u.parentHierarchyId === hid).forEach((u) => (team.add(u.userId), walk(u.hierarchyId)));
    walk(vp.hierarchyId);
    const out = await sql(`SELECT user_id FROM reports_to WHERE leader_user_id = '${vp.userId}' ORDER BY user_id`, 500);
    expect(out.rows.map((r) => r[0])).toEqual([...team].sort());
  });
});
