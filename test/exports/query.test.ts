import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ForecastRow } from "../../src/exports/table/forecast-table.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import {
  ForecastQueryResultSchema,
  ForecastQuerySchema,
  ratioColumnName,
  runForecastQuery,
  type ForecastQueryInput,
} from "../../src/exports/query/query.js";
import { expectedRows, FX_FRAMES, FX_USERS, writeCsv, writeTables } from "./fixtures.js";

const table = normaliseForecast(writeTables());
const truth = expectedRows();

function run(q: ForecastQueryInput) {
  const r = runForecastQuery(table, q);
  expect(ForecastQueryResultSchema.parse(r)).toEqual(r);
  return r;
}

const num = (r: ForecastRow) => (typeof r.value === "number" ? r.value : r.value === null ? null : Number(r.value));
const sum = (rows: ForecastRow[]) => {
  const vals = rows.map(num).filter((x): x is number => x !== null);
  return vals.length === 0 ? null : vals.reduce((a, b) => a + b, 0);
};
const usersOf = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.user as string).sort();

/** Reference role tree from the fixture users. */
function subtreeRoles(role: string): Set<string> {
  const out = new Set([role]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of FX_USERS) {
      if (out.has(u.parentRole) && !out.has(u.role)) {
        out.add(u.role);
        grew = true;
      }
    }
  }
  return out;
}

describe("query schema", () => {
  it("applies defaults and bounds the limit", () => {
    const q = ForecastQuerySchema.parse({});
    expect(q).toMatchObject({ mode: "aggregate", week: "latest", aggregate: "sum", limit: 25, sortOrder: "desc", managersOnly: false, pivotFields: false });
    expect(() => ForecastQuerySchema.parse({ limit: 500 })).toThrow();
    expect(() => ForecastQuerySchema.parse({ limit: 0 })).toThrow();
    expect(() => ForecastQuerySchema.parse({ mode: "nope" })).toThrow();
  });

  it("describes every property for the model and converts to JSON Schema", () => {
    // Self-explanatory properties go without a description: the catalogue's size is a budget.
    const undescribed = new Set(["aggregate", "sortOrder", "limit", "compareToWeek"]);
    for (const [key, prop] of Object.entries(ForecastQuerySchema.shape)) {
      if (!undescribed.has(key)) expect((prop as z.ZodType).description, key).toBeTruthy();
    }
    const json = z.toJSONSchema(ForecastQuerySchema, { io: "input" }) as { type: string; properties: object };
    expect(json.type).toBe("object");
    expect(Object.keys(json.properties)).toContain("underRole");
  });

  it("names ratio columns", () => {
    expect(ratioColumnName("Commit", "Quota")).toBe("commitToQuota");
    expect(ratioColumnName("Most Likely", "Quota")).toBe("mostLikelyToQuota");
    expect(ratioColumnName("best case", "plan")).toBe("bestCaseToPlan");
  });
});

describe("aggregate mode", () => {
  it("defaults: forecast and quota of the latest week, by field and data type", () => {
    const r = run({});
    expect(r.weeks).toEqual([{ timePeriod: "Q4 2026", week: 3, weekStart: "2026-10-12", weekEnd: "2026-10-18" }]);
    expect(r.columns).toEqual(["field", "dataType", "value"]);
    const latest = truth.filter((x) => x.week === 3 && (x.dataType === "forecast" || x.dataType === "quota"));
    const expected = [...new Set(latest.map((x) => `${x.field}|${x.dataType}`))].map((k) => {
      const [field, dataType] = k.split("|");
      return { field, dataType, value: sum(latest.filter((x) => x.field === field && x.dataType === dataType)) };
    });
    expected.sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
    expect(r.rows.map((x) => ({ ...x, value: Math.round((x.value as number) * 100) / 100 }))).toEqual(
      expected.map((x) => ({ ...x, value: Math.round((x.value ?? 0) * 100) / 100 })),
    );
    expect(r.matchedRows).toBe(latest.length);
    expect(r.totalGroups).toBe(3);
    expect(r.truncated).toBe(false);
  });

  it("gives the same answers from every shape", () => {
    const fromCsv = runForecastQuery(normaliseForecast(writeCsv()), { groupBy: ["user"], pivotFields: true });
    expect(fromCsv.rows).toEqual(run({ groupBy: ["user"], pivotFields: true }).rows);
  });

  it("commit vs quota by user: pivot with a ratio, sorted by the ratio", () => {
    const r = run({ groupBy: ["user"], ratio: { numerator: "Commit", denominator: "Quota" } });
    expect(r.columns[0]).toBe("user");
    expect(r.columns.slice(1, 3).sort()).toEqual(["Best Case", "Commit"]);
    expect(r.columns.slice(3)).toEqual(["Quota", "commitToQuota"]);
    expect(r.rows).toHaveLength(8);
    for (const row of r.rows) {
      const mine = truth.filter((x) => x.user === row.user && x.week === 3);
      const commit = sum(mine.filter((x) => x.field === "Commit" && x.dataType === "forecast"));
      const quota = sum(mine.filter((x) => x.field === "Quota" && x.dataType === "quota"));
      expect(row.Commit).toBeCloseTo(commit ?? Number.NaN, 2);
      expect(row.Quota).toBeCloseTo(quota ?? Number.NaN, 2);
      expect(row.commitToQuota).toBeCloseTo((commit ?? 0) / (quota ?? 1), 4);
    }
    const ratios = r.rows.map((x) => x.commitToQuota as number);
    expect(ratios).toEqual([...ratios].sort((a, b) => b - a));
  });

  it("a ratio whose denominator is filtered out still finds it; a null numerator gives null", () => {
    const r = run({ groupBy: ["user"], field: ["Commit"], ratio: { numerator: "Commit", denominator: "Quota" }, week: 1 });
    expect(r.columns).toEqual(["user", "Commit", "Quota", "commitToQuota"]);
    const heidi = r.rows.find((x) => x.user === "Heidi Park");
    expect(heidi).toMatchObject({ Commit: null, commitToQuota: null });
    // Null ratios sort last even in descending order.
    expect(r.rows[r.rows.length - 1]?.user).toBe("Heidi Park");
  });

  it("a ratio against a field that does not exist is null with a warning", () => {
    const r = run({ groupBy: ["role"], ratio: { numerator: "Commit", denominator: "Plan" } });
    expect(r.rows.every((x) => x.commitToPlan === null)).toBe(true);
    expect(r.warnings.join(" ")).toMatch(/Plan/);
  });

  it("sorts by any column, ascending or descending", () => {
    const r = run({ groupBy: ["user"], pivotFields: true, sortBy: "user", sortOrder: "asc" });
    expect(r.rows.map((x) => x.user)).toEqual(FX_USERS.map((u) => u.name).sort());
    const q = run({ groupBy: ["user"], pivotFields: true, sortBy: "quota", sortOrder: "asc" });
    expect(q.rows.map((x) => x.Quota)).toEqual(FX_USERS.map((_, i) => 500000 * (i + 1)));
    const bad = run({ groupBy: ["user"], pivotFields: true, sortBy: "nonsense" });
    expect(bad.warnings.join(" ")).toMatch(/Cannot sort by "nonsense"/);
  });

  it("filters: roleContains, underRole (recursive), managersOnly, parentRole, user by email/userId", () => {
    const west = run({ groupBy: ["user"], pivotFields: true, roleContains: "west" });
    expect(usersOf(west.rows)).toEqual(FX_USERS.filter((u) => /west/i.test(u.role)).map((u) => u.name).sort());

    const roles = subtreeRoles("VP Sales - West");
    const under = run({ groupBy: ["user"], pivotFields: true, underRole: "VP Sales - West" });
    expect(usersOf(under.rows)).toEqual(FX_USERS.filter((u) => roles.has(u.role)).map((u) => u.name).sort());
    expect(under.rows).toHaveLength(4);

    const byUser = run({ groupBy: ["user"], pivotFields: true, underRole: "dan wu" });
    expect(usersOf(byUser.rows)).toEqual(["Dan Wu", "Eve Stone", "Frank Moss"]);

    const managers = run({ groupBy: ["user"], pivotFields: true, managersOnly: true });
    const parents = new Set(FX_USERS.map((u) => u.parentRole));
    expect(usersOf(managers.rows)).toEqual(FX_USERS.filter((u) => parents.has(u.role)).map((u) => u.name).sort());

    const east = run({ groupBy: ["user"], pivotFields: true, parentRole: ["vp sales - east"] });
    expect(usersOf(east.rows)).toEqual(["Grace Lee", "Heidi Park"]);

    const some = run({ groupBy: ["user"], pivotFields: true, user: ["EVE@example.com", FX_USERS[0]?.userId as string, "Frank Moss"] });
    expect(usersOf(some.rows)).toEqual(["Alice Chen", "Eve Stone", "Frank Moss"]);

    const role = run({ groupBy: ["user"], pivotFields: true, role: ["CRO"] });
    expect(usersOf(role.rows)).toEqual(["Alice Chen"]);
  });

  it("warns about filter values that match nothing", () => {
    const r = run({ user: ["Nobody"], field: ["Comit"], underRole: "VP Nowhere", timePeriod: "2025_Q1" });
    const w = r.warnings.join(" ");
    expect(w).toMatch(/No user matching "nobody"/);
    expect(w).toMatch(/No field named "Comit"/);
    expect(w).toMatch(/No role or user named "VP Nowhere"/);
    expect(w).toMatch(/No time period "2025_Q1"/);
    expect(r.rows).toEqual([]);
  });

  it("weeks: a given week, all weeks grouped by week, and the time period filter", () => {
    const w2 = run({ field: ["Commit"], dataType: ["forecast"], groupBy: ["field"] });
    const w1 = run({ field: ["Commit"], dataType: ["forecast"], groupBy: ["field"], week: 1 });
    expect(w1.weeks[0]?.week).toBe(1);
    expect(w1.rows[0]?.value).toBeCloseTo(sum(truth.filter((x) => x.week === 1 && x.field === "Commit" && x.dataType === "forecast")) ?? 0, 2);
    expect(w2.rows[0]?.value).toBeCloseTo(sum(truth.filter((x) => x.week === 3 && x.field === "Commit" && x.dataType === "forecast")) ?? 0, 2);

    const all = run({ field: ["Commit"], dataType: ["forecast"], groupBy: ["week"], week: "all", sortBy: "week", sortOrder: "asc" });
    expect(all.weeks).toEqual([]);
    expect(all.columns).toEqual(["week", "weekStart", "value"]);
    expect(all.rows.map((x) => [x.week, x.weekStart])).toEqual(FX_FRAMES.map((f, i) => [i + 1, f.startDate]));
    for (const row of all.rows) {
      expect(row.value).toBeCloseTo(sum(truth.filter((x) => x.week === row.week && x.field === "Commit" && x.dataType === "forecast")) ?? 0, 2);
    }

    const missing = run({ week: 9 });
    expect(missing.warnings.join(" ")).toMatch(/Week not found/);
    expect(missing.rows).toEqual([]);

    expect(run({ timePeriod: "Q4 FY 2026" }).rows).toHaveLength(3);
  });

  it("aggregates: avg, min, max, count; booleans count as 1/0", () => {
    const base = { field: ["Commit"], dataType: ["forecast" as const], groupBy: ["field" as const] };
    const latest = truth.filter((x) => x.week === 3 && x.field === "Commit" && x.dataType === "forecast");
    const vals = latest.map(num).filter((x): x is number => x !== null);
    expect(run({ ...base, aggregate: "avg" }).rows[0]?.value).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / vals.length, 3);
    expect(run({ ...base, aggregate: "min" }).rows[0]?.value).toBe(Math.min(...vals));
    expect(run({ ...base, aggregate: "max" }).rows[0]?.value).toBe(Math.max(...vals));
    expect(run({ ...base, aggregate: "count" }).rows[0]?.value).toBe(vals.length);
    const updated = run({ dataType: ["forecast_updated"], groupBy: ["field"] });
    for (const row of updated.rows) {
      expect(row.value).toBe(truth.filter((x) => x.week === 3 && x.field === row.field && x.value === true).length);
    }
  });

  it("never sums different fields or data types together", () => {
    const r = run({ groupBy: ["role"], underRole: "CRO" });
    expect(r.columns).toEqual(["role", "field", "dataType", "value"]);
    expect(r.warnings.join(" ")).toMatch(/Added field and dataType to groupBy/);
  });

  it("is bounded: limit, totalGroups and truncated", () => {
    const r = run({ groupBy: ["user", "field"], limit: 5 });
    expect(r.rows).toHaveLength(5);
    expect(r.totalGroups).toBe(24);
    expect(r.truncated).toBe(true);
    const all = run({ groupBy: ["user", "field"], limit: 200 });
    expect(all.truncated).toBe(false);
    expect(all.rows.slice(0, 5)).toEqual(r.rows);
  });
});

describe("not_updated mode", () => {
  const reference = (rows: ForecastRow[]) => {
    const latest = rows.filter((x) => x.week === 3 && x.dataType === "forecast_updated");
    const out = new Map<string, string[]>();
    for (const x of latest) if (x.value === false) out.set(x.user, [...(out.get(x.user) ?? []), x.field]);
    return out;
  };

  it("lists the users who have not updated their call in the latest week, with the fields", () => {
    const r = run({ mode: "not_updated" });
    const ref = reference(truth);
    expect(r.columns).toEqual(["user", "email", "role", "parentRole", "fieldsNotUpdated", "notUpdatedCount", "updatedCount"]);
    expect(usersOf(r.rows)).toEqual([...ref.keys()].sort());
    for (const row of r.rows) {
      expect((row.fieldsNotUpdated as string).split(", ").sort()).toEqual((ref.get(row.user as string) ?? []).sort());
      const u = FX_USERS.find((x) => x.name === row.user);
      expect(row).toMatchObject({ role: u?.role, parentRole: u?.parentRole, email: u?.email });
    }
    // Most fields not updated first.
    expect(r.rows[0]?.user).toBe("Dan Wu");
    expect(r.warnings[0]).toMatch(/6 of 8 users checked/);
  });

  it("honours the filters (underRole) and a given week", () => {
    const r = run({ mode: "not_updated", underRole: "VP Sales - West" });
    const roles = subtreeRoles("VP Sales - West");
    const ref = reference(truth.filter((x) => roles.has(x.role)));
    expect(usersOf(r.rows)).toEqual([...ref.keys()].sort());

    const w1 = run({ mode: "not_updated", week: 1 });
    const ref1 = truth.filter((x) => x.week === 1 && x.dataType === "forecast_updated" && x.value === false);
    expect(usersOf(w1.rows)).toEqual([...new Set(ref1.map((x) => x.user))].sort());
    expect(w1.weeks[0]?.week).toBe(1);
  });

  it("says so when the export has no forecast_updated data", () => {
    const noFlags = JSON.parse(writeTables()) as { entries: Array<Record<string, unknown>> };
    for (const e of noFlags.entries) delete e.isUpdated;
    const r = runForecastQuery(normaliseForecast(JSON.stringify(noFlags)), { mode: "not_updated" });
    expect(r.rows).toEqual([]);
    expect(r.warnings.join(" ")).toMatch(/no forecast_updated data/);
  });
});

describe("week_over_week mode", () => {
  it("per user and field: latest week vs the week before, sorted by absolute change", () => {
    const r = run({ mode: "week_over_week", limit: 200 });
    expect(r.weeks[0]?.week).toBe(3);
    expect(r.comparedWeeks?.[0]?.week).toBe(2);
    expect(r.columns).toEqual(["user", "field", "previous", "current", "change", "changePercent"]);
    const f = truth.filter((x) => x.dataType === "forecast");
    expect(r.rows).toHaveLength(16);
    for (const row of r.rows) {
      const prev = sum(f.filter((x) => x.user === row.user && x.field === row.field && x.week === 2));
      const cur = sum(f.filter((x) => x.user === row.user && x.field === row.field && x.week === 3));
      expect(row.previous).toBeCloseTo(prev ?? Number.NaN, 2);
      expect(row.current).toBeCloseTo(cur ?? Number.NaN, 2);
      expect(row.change).toBeCloseTo((cur ?? 0) - (prev ?? 0), 2);
      expect(row.changePercent).toBeCloseTo((((cur ?? 0) - (prev ?? 0)) / Math.abs(prev ?? 1)) * 100, 1);
    }
    const abs = r.rows.map((x) => Math.abs(x.change as number));
    expect(abs).toEqual([...abs].sort((a, b) => b - a));
    // Best Case moves 1.5x as much as Commit, and Commit moves 2500.25 a week.
    expect(Math.abs(r.rows[0]?.change as number)).toBeCloseTo(3750.38, 1);
    expect(r.rows.some((x) => x.change === -2500.25)).toBe(true);
  });

  it("compares two given weeks; a missing side gives null, sorted last", () => {
    const r = run({ mode: "week_over_week", week: 3, compareToWeek: 1, field: ["Commit"], limit: 200 });
    expect(r.comparedWeeks?.[0]?.week).toBe(1);
    const heidi = r.rows.find((x) => x.user === "Heidi Park");
    expect(heidi).toMatchObject({ previous: null, change: null, changePercent: null });
    expect(r.rows[r.rows.length - 1]?.user).toBe("Heidi Park");
    const alice = r.rows.find((x) => x.user === "Alice Chen");
    expect(alice?.change).toBeCloseTo(-2 * 2500.25, 2);
  });

  it("groups by role when asked", () => {
    const r = run({ mode: "week_over_week", groupBy: ["parentRole"], field: ["Commit"] });
    const f = truth.filter((x) => x.dataType === "forecast" && x.field === "Commit");
    for (const row of r.rows) {
      const prev = sum(f.filter((x) => x.parentRole === row.parentRole && x.week === 2));
      const cur = sum(f.filter((x) => x.parentRole === row.parentRole && x.week === 3));
      expect(row.change).toBeCloseTo((cur ?? 0) - (prev ?? 0), 2);
    }
  });

  it("says clearly when the export has one week only", () => {
    const doc = JSON.parse(writeTables()) as { entries: Array<{ timeFrameId: string }>; timeFrames: unknown[] };
    doc.entries = doc.entries.filter((e) => e.timeFrameId === "TF:2026-10-12");
    const single = normaliseForecast(JSON.stringify(doc));
    const r = runForecastQuery(single, { mode: "week_over_week" });
    expect(r.rows).toEqual([]);
    expect(r.warnings.join(" ")).toMatch(/needs at least two weeks.*only Q4 2026: week 3.*includeHistorical=true/);
  });
});

describe("rollup mode", () => {
  it("a manager's own number, the team below, and one line per direct report's team", () => {
    const r = run({ mode: "rollup", underRole: "CRO", field: ["Commit"], dataType: ["forecast"] });
    expect(r.columns).toEqual(["line", "role", "user", "field", "dataType", "own", "subtreeTotal", "directReportsTotal", "teamSize"]);
    const latest = truth.filter((x) => x.week === 3 && x.field === "Commit" && x.dataType === "forecast");
    const ownOf = (role: string) => sum(latest.filter((x) => x.role === role));
    const below = (role: string) => sum(latest.filter((x) => subtreeRoles(role).has(x.role) && x.role !== role));

    expect(r.rows[0]).toMatchObject({ line: "self", role: "CRO", user: "Alice Chen", field: "Commit", teamSize: 7 });
    expect(r.rows[0]?.own).toBeCloseTo(ownOf("CRO") ?? 0, 2);
    expect(r.rows[0]?.subtreeTotal).toBeCloseTo(below("CRO") ?? 0, 2);
    expect(r.rows[0]?.directReportsTotal).toBeCloseTo((ownOf("VP Sales - West") ?? 0) + (ownOf("VP Sales - East") ?? 0), 2);
    // The manager's call is not the sum of the team.
    expect(r.rows[0]?.own).not.toBeCloseTo(r.rows[0]?.subtreeTotal as number, 0);

    const reports = r.rows.slice(1);
    expect(reports.map((x) => x.role).sort()).toEqual(["VP Sales - East", "VP Sales - West"]);
    for (const row of reports) {
      expect(row.line).toBe("direct_report");
      expect(row.own).toBeCloseTo(ownOf(row.role as string) ?? 0, 2);
      expect(row.subtreeTotal).toBeCloseTo(below(row.role as string) ?? 0, 2);
      expect(row.teamSize).toBe(subtreeRoles(row.role as string).size - 1);
    }
    // Sorted by own number, largest first.
    expect((reports[0]?.own as number) >= (reports[1]?.own as number)).toBe(true);
  });

  it("defaults to the top of the hierarchy and to forecast and quota", () => {
    const r = run({ mode: "rollup" });
    expect(r.rows[0]).toMatchObject({ line: "self", role: "CRO" });
    const selfLines = r.rows.filter((x) => x.line === "self");
    expect(selfLines.map((x) => `${x.field}/${x.dataType}`).sort()).toEqual(["Best Case/forecast", "Commit/forecast", "Quota/quota"]);
    const quota = selfLines.find((x) => x.field === "Quota");
    expect(quota?.subtreeTotal).toBe(FX_USERS.slice(1).reduce((a, _u, i) => a + 500000 * (i + 2), 0));
  });

  it("a rep has no direct reports: says so", () => {
    const r = run({ mode: "rollup", underRole: "Sales Rep - East", field: ["Commit"] });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ own: expect.any(Number), subtreeTotal: null, teamSize: 0 });
    expect(r.warnings.join(" ")).toMatch(/no direct reports/);
  });

  it("unknown role", () => {
    const r = run({ mode: "rollup", underRole: "Nope" });
    expect(r.rows).toEqual([]);
    expect(r.warnings.join(" ")).toMatch(/No role or user named "Nope"/);
  });
});

describe("results are bounded and serialisable", () => {
  it("stays small even with the largest limit", () => {
    const r = run({ groupBy: ["user", "field", "dataType", "week"], week: "all", dataType: ["forecast", "quota", "crm_total"], limit: 200 });
    expect(r.rows.length).toBeLessThanOrEqual(200);
    expect(JSON.stringify(r).length).toBeLessThan(60_000);
  });
});
