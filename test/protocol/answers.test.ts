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

async function query(args: Record<string, unknown>) {
  const result = await h.client.callTool({ name: "clari_query_export", arguments: { jobId, ...args } });
  expect(result.isError, textOf(result)).toBeFalsy();
  const text = textOf(result);
  expect(Buffer.byteLength(text)).toBeLessThan(4096);
  return { text, out: result.structuredContent as { rows: Array<Record<string, string | number | boolean | null>>; totalGroups: number; truncated: boolean } };
}

describe("answering forecast questions from one export", () => {
  it("spent exactly one export", () => {
    expect(h.sandbox.stats().jobsCreated).toBe(1);
  });

  it("(a) commit vs quota per manager, latest week", async () => {
    const { out, text } = await query({ managersOnly: true, field: ["Commit", "Quota"], groupBy: ["role"], ratio: { numerator: "Commit", denominator: "Quota" }, limit: 100 });
    const managers = users.filter((u) => u.reports.length > 0);
    expect(out.totalGroups).toBe(managers.length);
    for (const manager of managers) {
      const row = out.rows.find((r) => r.role === manager.hierarchyName);
      expect(row, manager.hierarchyName).toBeDefined();
      const commit = value(manager.userId, "Commit", "forecast") as number;
      const quota = value(manager.userId, "Quota", "quota") as number;
      expect(row!.Commit).toBeCloseTo(commit, 2);
      expect(row!.Quota).toBeCloseTo(quota, 2);
      expect(row!.commitToQuota).toBeCloseTo(commit / quota, 3);
    }
    expect(text).toContain("commitToQuota");
    console.log(`(a) ${Buffer.byteLength(text)} bytes\n${text}`);
  });

  it("(b) who has not updated their call", async () => {
    const { out, text } = await query({ mode: "not_updated", limit: 200 });
    const reps = users.filter((u) => u.reports.length === 0);
    const expected = users
      .filter((u) => entries.some((e) => e.userId === u.userId && e.dataType === "forecast_updated" && e.weekIndex === latestWeek() && e.value === false))
      .map((u) => u.name)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const names = [...new Set(out.rows.map((r) => String(r.user)))].sort();
    expect(names).toEqual(expected);
    expect(names.every((n) => users.find((u) => u.name === n))).toBe(true);
    expect(reps.length).toBeGreaterThan(0);
    console.log(`(b) ${Buffer.byteLength(text)} bytes\n${text}`);
  });

  it("(c) the team roll-up for one VP", async () => {
    const vp = users.find((u) => /^VP/.test(u.hierarchyName))!;
    const { out, text } = await query({ mode: "rollup", underRole: vp.hierarchyName, field: ["Commit"] });
    const subtree = (u: SandboxUser): SandboxUser[] => u.reports.flatMap((i) => [users[i]!, ...subtree(users[i]!)]);
    const team = subtree(vp);
    const teamCommit = team.reduce((sum, u) => sum + ((value(u.userId, "Commit", "forecast") as number) ?? 0), 0);
    const own = value(vp.userId, "Commit", "forecast") as number;
    const self = out.rows.find((r) => r.line === "self")!;
    expect(self.role).toBe(vp.hierarchyName);
    expect(self.own).toBeCloseTo(own, 2);
    expect(self.subtreeTotal).toBeCloseTo(teamCommit, 2);
    expect(self.teamSize).toBe(team.length);
    // One line per direct report: their own call, and their team below them.
    const lines = out.rows.filter((r) => r.line === "direct_report");
    expect(lines).toHaveLength(vp.reports.length);
    for (const i of vp.reports) {
      const report = users[i]!;
      const row = lines.find((r) => r.role === report.hierarchyName)!;
      const below = subtree(report).reduce((s, u) => s + ((value(u.userId, "Commit", "forecast") as number) ?? 0), 0);
      expect(row.own).toBeCloseTo(value(report.userId, "Commit", "forecast") as number, 2);
      expect(row.subtreeTotal).toBeCloseTo(below, 2);
    }
    console.log(`(c) ${Buffer.byteLength(text)} bytes\n${text}`);
  });

  it("answers \"West's commit against quota\" by role name", async () => {
    const { out } = await query({ roleContains: "West", field: ["Commit", "Quota"], groupBy: [], ratio: { numerator: "Commit", denominator: "Quota" } });
    const west = users.filter((u) => /West/i.test(u.hierarchyName));
    const commit = west.reduce((s, u) => s + ((value(u.userId, "Commit", "forecast") as number) ?? 0), 0);
    expect(out.rows[0]!.Commit).toBeCloseTo(commit, 2);
  });
});
