/**
 * A forecast summary (export or synchronous read) against the sandbox's raw forecast tables,
 * computed here by hand: who is in it, which periods and fields, the latest week, the top of the
 * hierarchy and the top's own Commit call.
 */
import { expect } from "vitest";
import { ForecastSummarySchema, type ForecastSummary } from "../../src/exports/index.js";
import type { RawTables, RawUser } from "../answers/raw-data.js";

/** The summary (a forecast summary, or this fails) checked against the raw tables; the summary, typed. */
export function expectForecastSummary(given: unknown, raw: RawTables): ForecastSummary {
  const summary = ForecastSummarySchema.parse(given);
  const users = new Set(raw.entries.map((e) => e.userId));
  const fieldName = new Map(raw.fields.map((f) => [f.fieldId, f.fieldName]));
  const frames = raw.timeFrames.filter((f) => raw.entries.some((e) => e.timeFrameId === f.timeFrameId)).sort((a, b) => a.startDate.localeCompare(b.startDate));
  const latest = frames[frames.length - 1]!;
  const byHierarchy = new Map(raw.users.map((u) => [u.hierarchyId, u]));
  const tops = raw.users.filter((u) => !byHierarchy.has(u.parentHierarchyId));
  expect(tops).toHaveLength(1);
  const top = tops[0] as RawUser;
  const topCommit = raw.entries.find((e) => e.userId === top.userId && fieldName.get(e.fieldId) === "Commit" && e.timeFrameId === latest.timeFrameId)?.forecastValue;
  expect(topCommit).toBeDefined();

  expect(summary.shape).toBe("tables");
  expect(summary.userCount).toBe(users.size);
  expect([...summary.fields].sort()).toEqual([...new Set(raw.entries.map((e) => fieldName.get(e.fieldId)!))].sort());
  expect(summary.timePeriods.map((p) => p.id).sort()).toEqual([...new Set(raw.entries.map((e) => e.timePeriodId))].sort());
  expect(summary.weeks.latestWeekStart).toBe(latest.startDate.slice(0, 10));
  expect(summary.dataWeek?.start).toBe(latest.startDate.slice(0, 10));
  expect(summary.levels[0]).toMatchObject({ level: 0, people: 1, user: top.name });
  const topTotal = summary.latestWeekTotals.find((t) => t.level === 0 && t.field === "Commit" && t.dataType === "forecast");
  expect(topTotal?.sum).toBeCloseTo(topCommit!, 2);
  return summary;
}
