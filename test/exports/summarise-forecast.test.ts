import { describe, expect, it } from "vitest";
import { ForecastTable } from "../../src/exports/table/forecast-table.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { summariseForecast, timePeriodMismatch } from "../../src/exports/summary/summarise-forecast.js";
import { ForecastSummarySchema } from "../../src/exports/summary/summary-schemas.js";
import { forecastSummaryLines } from "../../src/exports/summary/forecast-summary-lines.js";
import { expectedRows, FX_USERS, writeCsv, writeTables } from "./fixtures.js";

describe("summariseForecast", () => {
  const table = normaliseForecast(writeTables());
  const truth = expectedRows();

  it("describes the export", () => {
    const s = summariseForecast(table);
    expect(ForecastSummarySchema.parse(s)).toEqual(s);
    expect(s).toMatchObject({
      shape: "tables",
      rowCount: truth.length,
      userCount: 8,
      roleCount: 8,
      fieldCount: 3,
      timePeriods: [{ label: "Q4 2026", id: "2026_Q4" }],
      weeks: {
        count: 3,
        firstStart: "2026-09-28",
        lastStart: "2026-10-12",
        latestWeek: 3,
        latestWeekStart: "2026-10-12",
        latestWeekEnd: "2026-10-18",
      },
      currency: "$",
      currencies: ["$"],
      totalsTruncated: false,
      warnings: [],
    });
    expect([...s.fields].sort()).toEqual(["Best Case", "Commit", "Quota"]);
    expect([...s.dataTypes].sort()).toEqual(
      ["adjustment", "crm_closed", "crm_total", "forecast", "forecast_updated", "quota"].sort(),
    );
    expect(s.timePeriodMismatch).toBeUndefined();
  });

  it("totals the latest week per hierarchy level, field and data type, never across levels", () => {
    const s = summariseForecast(table);
    // Levels from the fixture's parent links, by hand.
    const levelOf = (u: (typeof FX_USERS)[number]): number => {
      const parent = FX_USERS.find((p) => p.hierarchyId === u.parentHierarchyId);
      return parent ? levelOf(parent) + 1 : 0;
    };
    const byName = new Map(FX_USERS.map((u) => [u.name, levelOf(u)]));
    expect(s.levels).toEqual([
      { level: 0, label: "CRO", people: 1, roles: 1, user: "Alice Chen" },
      { level: 1, label: "VP Sales", people: 2, roles: 2 },
      { level: 2, label: "Manager / Sales Rep", people: 3, roles: 3 },
      { level: 3, label: "Sales Rep", people: 2, roles: 2 },
    ]);
    const latest = truth.filter((r) => r.week === 3);
    for (const t of s.latestWeekTotals) {
      const rows = latest.filter((r) => r.field === t.field && r.dataType === t.dataType && byName.get(r.user) === t.level);
      expect(t.rows).toBe(rows.length);
      if (t.dataType === "forecast_updated") {
        expect(t.updated).toBe(rows.filter((r) => r.value === true).length);
        expect(t.notUpdated).toBe(rows.filter((r) => r.value === false).length);
      } else {
        const sum = rows.reduce((a, r) => a + (typeof r.value === "number" ? r.value : 0), 0);
        expect(t.sum).toBeCloseTo(sum, 2);
      }
    }
    const commit = s.latestWeekTotals.filter((t) => t.field === "Commit" && t.dataType === "forecast");
    expect(commit.map((t) => t.level)).toEqual([0, 1, 2, 3]);
    expect(commit.every((t) => t.week === 3)).toBe(true);
    // 8 field/data type pairs (Commit x5 types + Best Case x2 + Quota x1) at each of 4 levels.
    expect(s.latestWeekTotals).toHaveLength(32);
    expect(s.dataWeek).toEqual({ timePeriod: "Q4 2026", week: 3, start: "2026-10-12", text: "week 3 of 2026_Q4, starting 2026-10-12" });
  });

  it("says the top's own calls and each level's sum, labelled, in its text", () => {
    const { lines } = forecastSummaryLines(summariseForecast(table));
    const text = lines.join("\n");
    expect(text).toContain("Numbers below are for week 3 of 2026_Q4, starting 2026-10-12.");
    // Alice (user 0) in week 3: Commit 100000 - 7500.75, Quota 500000.
    // Money exactly as a person would quote it: cents only where there are any.
    expect(text).toMatch(/Top of the hierarchy: CRO \(Alice Chen\), own calls: [^\n]*Commit \$92,499\.25/);
    expect(text).toMatch(/Level 0 \(CRO, 1 person\): [^;]*Commit \$92,499\.25[^;]*Quota \$500,000;/);
    // Level 1: Bob and Carol, 200000 + 7500.75 and 300000 + 7500.75; level 2: Dan, Grace, Heidi.
    expect(text).toMatch(/Level 1 \(VP Sales, 2 people\): [^;]*Commit \$515,001\.50/);
    expect(text).toMatch(/Level 2 \(Manager \/ Sales Rep, 3 people\): [^;]*Commit \$1,892,499\.25/);
    expect(text).toMatch(/Level 3 \(Sales Rep, 2 people\)/);
    expect(text).not.toMatch(/\$[\d.]+[MK]\b/); // never rounded to $0.1M or $1K
    expect(text).not.toContain("Commit $3,615,001.50"); // summed over every level
  });

  it("warns when the export holds another time period than the one asked for", () => {
    const s = summariseForecast(table, { requestedTimePeriod: "2026_Q3" });
    expect(s.timePeriodMismatch).toMatch(/Asked for time period 2026_Q3/);
    expect(s.timePeriodMismatch).toMatch(/Q4 2026 \(2026_Q4\)/);
    expect(s.timePeriodMismatch).toMatch(/falls back to the current quarter/);
    for (const same of ["2026_Q4", "Q4 2026", "q4 fy 2026"]) {
      expect(summariseForecast(table, { requestedTimePeriod: same }).timePeriodMismatch).toBeUndefined();
    }
    // The CSV shape (label only) is checked the same way.
    const csv = normaliseForecast(writeCsv());
    expect(summariseForecast(csv, { requestedTimePeriod: "2026_Q4" }).timePeriodMismatch).toBeUndefined();
    expect(summariseForecast(csv, { requestedTimePeriod: "2027_Q1" }).timePeriodMismatch).toBeDefined();
    expect(timePeriodMismatch("July FY 2023", [{ label: "July FY 2023", id: "" }])).toBeUndefined();
  });

  it("reports truncation flags of the job", () => {
    const s = summariseForecast(table, { job: { rowsTruncated: true, cellsTruncated: true } });
    expect(s.warnings.join(" ")).toMatch(/rowsTruncated/);
    expect(s.warnings.join(" ")).toMatch(/cellsTruncated/);
  });

  it("stays small for a large export with many fields", () => {
    const t = new ForecastTable();
    const dt = t.internDataType("forecast");
    const cur = t.currencies.intern("$");
    const period = t.internPeriod("Q1 2027", "2027_Q1");
    const span = t.internSpan("2027-01-04", "2027-01-10");
    const people = Array.from({ length: 2000 }, (_, k) =>
      t.internPerson({ user: `User ${k}`, email: `u${k}@x.com`, crmUserId: `c${k}`, userId: "", role: `Role ${k % 300}`, parentRole: "Boss" }),
    );
    const fields = Array.from({ length: 120 }, (_, k) => t.fields.intern(`Field ${k}`));
    for (let i = 0; i < 300_000; i++) {
      t.append(people[i % people.length] as number, period, fields[i % fields.length] as number, span, dt, cur, 1, i);
    }
    const s = summariseForecast(t);
    expect(s.rowCount).toBe(300_000);
    expect(s.userCount).toBe(2000);
    expect(s.fields).toHaveLength(50);
    expect(s.fieldCount).toBe(120);
    expect(s.totalsTruncated).toBe(true);
    expect(JSON.stringify(s).length).toBeLessThan(12_000);
  });

  it("handles an empty table", () => {
    const s = summariseForecast(normaliseForecast(""));
    expect(s.rowCount).toBe(0);
    expect(s.weeks.latestWeek).toBeNull();
    expect(s.warnings).toContain("The export is empty.");
    expect(ForecastSummarySchema.parse(s)).toEqual(s);
  });
});
