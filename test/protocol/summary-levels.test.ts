/**
 * The export summary never adds hierarchy levels together: checked against numbers computed
 * here from the sandbox's raw export file (fetched over HTTP, levels from the users' parent links),
 * not through the code that makes the summary.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

interface RawTables {
  entries: Array<{ userId: string; fieldId: string; timeFrameId: string; forecastValue?: number; quotaValue?: number; isUpdated?: boolean }>;
  users: Array<{ userId: string; name: string; hierarchyId: string; parentHierarchyId: string }>;
  fields: Array<{ fieldId: string; fieldName: string }>;
  timeFrames: Array<{ timeFrameId: string; startDate: string }>;
}

interface Total {
  level: number;
  field: string;
  dataType: string;
  sum?: number | null;
  updated?: number;
  notUpdated?: number;
}

let h: Harness;
let text: string;
let summary: { latestWeekTotals: Total[]; levels: Array<{ level: number; people: number; label: string }>; dataWeek: { text: string; start: string } };
let raw: RawTables;
let finishedAt: number;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 11 } });
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", typesToExport: ["forecast", "quota", "forecast_updated"], includeHistorical: true } });
  expect(result.isError, textOf(result)).toBeFalsy();
  text = textOf(result);
  const out = result.structuredContent as { jobId: string; summary: typeof summary };
  summary = out.summary;
  raw = (await h.clari.getExportResultsJson(out.jobId)) as RawTables;
  finishedAt = (await h.clari.getExportJob(out.jobId)).endTime!;
});
afterAll(() => h.close());

/** Level per userId: 0 for a user whose parent is not in the file, else the parent's level + 1. */
function levels(): Map<string, number> {
  const byHierarchy = new Map(raw.users.map((u) => [u.hierarchyId, u]));
  const level = (u: RawTables["users"][number]): number => {
    const parent = byHierarchy.get(u.parentHierarchyId);
    return parent ? level(parent) + 1 : 0;
  };
  return new Map(raw.users.map((u) => [u.userId, level(u)]));
}

/** The newest week in the file, with its start date. */
function latestFrame(): { id: string; start: string } {
  const frames = raw.timeFrames.filter((f) => raw.entries.some((e) => e.timeFrameId === f.timeFrameId)).sort((a, b) => (a.startDate < b.startDate ? 1 : -1));
  return { id: frames[0]!.timeFrameId, start: frames[0]!.startDate.slice(0, 10) };
}

function rawSum(field: string, key: "forecastValue" | "quotaValue", level?: number): number {
  const levelOf = levels();
  const fieldId = raw.fields.find((f) => f.fieldName === field)!.fieldId;
  const frame = latestFrame().id;
  return raw.entries
    .filter((e) => e.fieldId === fieldId && e.timeFrameId === frame && (level === undefined || levelOf.get(e.userId) === level))
    .reduce((s, e) => s + (e[key] ?? 0), 0);
}

describe("forecast export summary by hierarchy level", () => {
  it("has the file's levels with their head counts", () => {
    const levelOf = levels();
    const depth = Math.max(...levelOf.values());
    expect(depth).toBeGreaterThanOrEqual(2);
    expect(summary.levels.map((l) => l.level)).toEqual([...Array(depth + 1).keys()]);
    for (const l of summary.levels) expect(l.people, `level ${l.level}`).toBe([...levelOf.values()].filter((v) => v === l.level).length);
  });

  it("sums each level on its own, for every forecast and quota field", () => {
    const levelCount = summary.levels.length;
    for (const [dataType, key] of [["forecast", "forecastValue"], ["quota", "quotaValue"]] as const) {
      const totals = summary.latestWeekTotals.filter((t) => t.dataType === dataType);
      expect(totals.length).toBeGreaterThan(0);
      for (const t of totals) expect(t.sum, `${t.field} level ${t.level}`).toBeCloseTo(rawSum(t.field, key, t.level), 2);
      // No total is the sum over every level.
      for (const field of new Set(totals.map((t) => t.field))) {
        const everyone = rawSum(field, key);
        expect(totals.filter((t) => t.field === field)).toHaveLength(levelCount);
        for (const t of totals.filter((x) => x.field === field)) expect(Math.abs((t.sum ?? 0) - everyone)).toBeGreaterThan(1);
      }
    }
  });

  it("says the top's own call and each level's sum, labelled, for the week they refer to", () => {
    const frame = latestFrame();
    expect(summary.dataWeek.start).toBe(frame.start);
    expect(text).toContain(`Numbers below are for ${summary.dataWeek.text}.`);
    expect(summary.dataWeek.text).toMatch(new RegExp(`^week \\d+ of \\d{4}_Q\\d, starting ${frame.start}$`));
    const top = raw.users.find((u) => levels().get(u.userId) === 0)!;
    // Exact money, as a person would quote it (cents only when there are any), written here by hand.
    const usd = (n: number) => `${n < 0 ? "-" : ""}$${new Intl.NumberFormat("en-US", { minimumFractionDigits: Math.round(Math.abs(n) * 100) % 100 ? 2 : 0, maximumFractionDigits: 2 }).format(Math.abs(n))}`;
    const commit = (level?: number) => usd(rawSum("Commit", "forecastValue", level));
    expect(text).toContain(`Top of the hierarchy: CRO (${top.name}), own calls: Commit ${commit(0)}`);
    for (const l of summary.levels) {
      const people = `${l.people} ${l.people === 1 ? "person" : "people"}`;
      expect(text).toContain(`Level ${l.level} (${l.label}, ${people}): Commit ${commit(l.level)}`);
    }
    expect(text).toMatch(/Level 1 \(VP Sales, \d+ people\)/);
    expect(text).not.toContain(`Commit ${commit()}`);
  });

  it("counts who has not updated over people, in the hygiene week (the latest, unless it began under two days before the export)", () => {
    const fieldId = raw.fields.find((f) => f.fieldName === "Commit")!.fieldId;
    const frames = raw.timeFrames.filter((f) => raw.entries.some((e) => e.timeFrameId === f.timeFrameId)).sort((a, b) => (a.startDate < b.startDate ? 1 : -1));
    const young = finishedAt - Date.parse(latestFrame().start) < 2 * 86_400_000 && frames.length > 1;
    const frame = young ? frames[1]! : frames[0]!;
    const rows = raw.entries.filter((e) => e.fieldId === fieldId && e.timeFrameId === frame.timeFrameId && e.isUpdated !== undefined);
    const stale = rows.filter((e) => e.isUpdated === false).length;
    expect(stale).toBeGreaterThan(0);
    const which = young ? `week ${frames.length - 1} (from ${frame.startDate.slice(0, 10)};` : "the latest week.";
    expect(text).toContain(`Update hygiene: ${stale} of ${rows.length} people have not updated their Commit call in ${which}`);
  });
});
