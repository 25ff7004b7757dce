/**
 * The product's point, through MCP only: export a forecast once, then answer
 * (a) commit vs quota per manager for the latest week, (b) the reps who have not updated,
 * (c) the team roll-up for one VP; each with one query call under 4 KB of text, each checked
 * against a computation made directly from the sandbox's seeded data (no parser involved).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CanonicalEntry, SandboxUser } from "../../src/sandbox/index.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;
let jobId: string;
let entries: CanonicalEntry[];
let users: SandboxUser[];

const TYPES = ["forecast", "quota", "forecast_updated"];

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 11 } });
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", typesToExport: TYPES, includeHistorical: true } });
  jobId = (result.structuredContent as { jobId: string }).jobId;
  entries = h.sandbox.org.forecastEntries("net_bookings", undefined, { includeHistorical: true, typesToExport: TYPES });
  users = h.sandbox.org.users;
});
afterAll(() => h.close());

const latestWeek = (): number => Math.max(...entries.map((e) => e.weekIndex));
const value = (userId: string, field: string, dataType: string, week = latestWeek()): number | boolean | undefined =>
  entries.find((e) => e.userId === userId && e.fieldName === field && e.dataType === dataType && e.weekIndex === week)?.value;

type Out = { columns: Array<{ name: string }>; rows: unknown[][]; row_count: number; truncated: boolean };

async function query(sql: string, limit = 200) {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit } });
  expect(result.isError, textOf(result)).toBeFalsy();
  const text = textOf(result);
  expect(Buffer.byteLength(text)).toBeLessThan(8192);
  const out = result.structuredContent as Out;
  const rows = out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]])) as Record<string, string | number | boolean | null>);
  return { text, out, rows };
}

describe("answering forecast questions from one export", () => {
  it("spent exactly one export", () => {
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("(a) commit vs quota per manager, latest week", async () => {
    const { out, rows, text } = await query(
      `SELECT p.role, sum(f.value) FILTER (WHERE f.field = 'Commit') AS commit, sum(f.value) FILTER (WHERE f.field = 'Quota') AS quota, commit / quota AS commit_to_quota
       FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.export_id = '${jobId}' AND f.is_latest_week AND NOT p.is_rep GROUP BY p.role`,
    );
    const managers = users.filter((u) => u.reports.length > 0);
    expect(out.row_count).toBe(managers.length);
    for (const manager of managers) {
      const row = rows.find((r) => r.role === manager.hierarchyName);
      expect(row, manager.hierarchyName).toBeDefined();
      const commit = value(manager.userId, "Commit", "forecast") as number;
      const quota = value(manager.userId, "Quota", "quota") as number;
      expect(row!.commit as number).toBeCloseTo(commit, 2);
      expect(row!.quota as number).toBeCloseTo(quota, 2);
      expect(row!.commit_to_quota as number).toBeCloseTo(commit / quota, 3);
    }
    expect(text).toContain("commit_to_quota");
  });

  it("(b) who has not updated their call", async () => {
    const { rows } = await query(
      `SELECT DISTINCT p.name FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.is_latest_week AND NOT f.updated ORDER BY 1`,
    );
    const expected = users
      .filter((u) => entries.some((e) => e.userId === u.userId && e.dataType === "forecast_updated" && e.weekIndex === latestWeek() && e.value === false))
      .map((u) => u.name)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => String(r.name)).sort()).toEqual([...new Set(expected)].sort());
  });

  it("(c) the team roll-up for one VP: own call, and the team below, never adding levels twice", async () => {
    const vp = users.find((u) => /^VP/.test(u.hierarchyName))!;
    const subtree = (u: SandboxUser): SandboxUser[] => u.reports.flatMap((i) => [users[i]!, ...subtree(users[i]!)]);
    const team = subtree(vp);
    const { rows } = await query(
      `SELECT (SELECT value FROM forecast WHERE user_id = '${vp.userId}' AND field = 'Commit' AND is_latest_week) AS own,
              sum(f.value) AS team_commit, count(DISTINCT f.user_id) AS team_size
       FROM reports_to r JOIN forecast f ON f.export_id = r.export_id AND f.user_id = r.user_id
       WHERE r.leader_user_id = '${vp.userId}' AND f.field = 'Commit' AND f.is_latest_week`,
    );
    const teamCommit = team.reduce((sum, u) => sum + ((value(u.userId, "Commit", "forecast") as number) ?? 0), 0);
    expect(rows[0]!.own as number).toBeCloseTo(value(vp.userId, "Commit", "forecast") as number, 2);
    expect(rows[0]!.team_commit as number).toBeCloseTo(teamCommit, 2);
    expect(rows[0]!.team_size).toBe(team.length);
  });

  it("answers \"West's commit\" by role name", async () => {
    const { rows } = await query(
      `SELECT sum(f.value) AS commit FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.is_latest_week AND f.field = 'Commit' AND p.role ILIKE '%West%'`,
    );
    const west = users.filter((u) => /West/i.test(u.hierarchyName));
    const commit = west.reduce((s, u) => s + ((value(u.userId, "Commit", "forecast") as number) ?? 0), 0);
    expect(rows[0]!.commit as number).toBeCloseTo(commit, 2);
  });
});
