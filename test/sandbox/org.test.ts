import { describe, expect, it } from "vitest";
import { quarterWeeks, resolvePeriod, weeksSoFar } from "../../src/sandbox/calendar.js";
import { FORECAST_TABS } from "../../src/sandbox/forecast-data.js";
import { SANDBOX_FORECAST_TABS } from "../../src/sandbox/identity.js";
import { createOrg } from "../../src/sandbox/org.js";
import { T0 } from "./helpers.js";

const now = () => T0;

describe("seeded org", () => {
  it("builds a CRO / VP / manager / rep hierarchy with unique roles", () => {
    const org = createOrg(42, 40, now);
    expect(org.users).toHaveLength(40);
    const [cro] = org.users;
    expect(cro?.hierarchyName).toBe("CRO");
    expect(cro?.parentHierarchyName).toBe("");
    expect(cro?.managerUserId).toBeNull();
    const roles = new Set(org.users.map((u) => u.hierarchyName));
    expect(roles.size).toBe(40);
    const byLevel = (l: string) => org.users.filter((u) => u.level === l);
    expect(byLevel("VP").map((u) => u.hierarchyName)).toEqual(["VP Sales - West", "VP Sales - East", "VP Sales - Central"]);
    expect(byLevel("MANAGER")[0]?.hierarchyName).toBe("Manager - West 1");
    expect(byLevel("REP")[0]?.hierarchyName).toBe("Sales Rep - West 1.1");
    expect(byLevel("REP").length).toBeGreaterThan(20);
    for (const u of org.users) {
      expect(u.userId).toMatch(/^\d{6}:00E[0-9A-Za-z]{15}$/);
      expect(u.crmId).toMatch(/^005[0-9A-Za-z]{15}$/);
      expect(u.scopeId).toMatch(/^\d+::MGR$/);
      expect(u.email).toContain("@");
      if (u.level !== "CRO") {
        const parent = org.user(u.managerUserId ?? "");
        expect(parent?.hierarchyName).toBe(u.parentHierarchyName);
        expect(parent?.hierarchyId).toBe(u.parentHierarchyId);
      }
    }
    expect(new Set(org.users.map((u) => u.userId)).size).toBe(40);
    expect(new Set(org.users.map((u) => u.email)).size).toBe(40);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const a = createOrg(7, 40, now);
    const b = createOrg(7, 40, now);
    const c = createOrg(8, 40, now);
    expect(JSON.stringify(a.users)).toBe(JSON.stringify(b.users));
    expect(JSON.stringify(a.forecastEntries("net_arr", "2026_Q3", { includeHistorical: true }))).toBe(
      JSON.stringify(b.forecastEntries("net_arr", "2026_Q3", { includeHistorical: true })),
    );
    expect(JSON.stringify(a.auditEvents())).toBe(JSON.stringify(b.auditEvents()));
    expect(JSON.stringify(a.activities())).toBe(JSON.stringify(b.activities()));
    expect(JSON.stringify(a.opportunities())).toBe(JSON.stringify(b.opportunities()));
    expect(a.users[0]?.userId).not.toBe(c.users[0]?.userId);
  });

  it("scales to 5000 users quickly", () => {
    const t = performance.now();
    const org = createOrg(1, 5000, now);
    const entries = org.forecastEntries("net_bookings", undefined, {});
    expect(performance.now() - t).toBeLessThan(1500);
    expect(org.users).toHaveLength(5000);
    expect(new Set(org.users.map((u) => u.hierarchyName)).size).toBe(5000);
    expect(entries.length).toBe(5000 * 4 * 2);
  });

  it("keeps calls ordered, quota per user, and leaders' calls their own", () => {
    const org = createOrg(42, 40, now);
    const entries = org.forecastEntries("net_bookings", "2026_Q4", { typesToExport: ["forecast", "quota"] });
    const byUser = new Map<string, Record<string, number>>();
    for (const e of entries) {
      const m = byUser.get(e.userId) ?? {};
      m[e.fieldId] = e.value as number;
      byUser.set(e.userId, m);
    }
    for (const v of byUser.values()) {
      expect(v.commit).toBeLessThan(v.most_likely as number);
      expect(v.most_likely).toBeLessThan(v.best_case as number);
      expect(v.best_case).toBeLessThan(v.pipeline as number);
      expect(v.quota).toBeGreaterThan(0);
    }
    const mgr = org.users.find((u) => u.level === "MANAGER");
    const sum = org.users
      .filter((u) => u.managerUserId === mgr?.userId)
      .reduce((s, u) => s + (byUser.get(u.userId)?.commit ?? 0), 0);
    expect(byUser.get(mgr?.userId ?? "")?.commit).not.toBe(sum);
  });

  it("has stale reps in the latest week, adjustments, drift and negative net ARR", () => {
    const org = createOrg(42, 40, now);
    const latest = org.forecastEntries("net_bookings", undefined, { typesToExport: ["forecast_updated"] });
    const reps = new Set(org.users.filter((u) => u.level === "REP").map((u) => u.userId));
    const repFlags = latest.filter((e) => reps.has(e.userId) && e.fieldId === "commit");
    const stale = repFlags.filter((e) => e.value === false).length / repFlags.length;
    expect(stale).toBeGreaterThanOrEqual(0.2);
    expect(stale).toBeLessThanOrEqual(0.3);
    const adj = org.forecastEntries("net_bookings", undefined, { typesToExport: ["adjustment"] });
    expect(adj.length).toBeGreaterThan(0);
    for (const a of adj) expect(org.user(a.by ?? "")?.userId).toBe(org.user(a.userId)?.managerUserId);
    const hist = org.forecastEntries("net_bookings", undefined, { includeHistorical: true, typesToExport: ["forecast"] });
    const commits = hist.filter((e) => e.userId === org.users[0]?.userId && e.fieldId === "commit").map((e) => e.value);
    expect(new Set(commits).size).toBeGreaterThan(1);
    const arr = org.forecastEntries("net_arr", undefined, { typesToExport: ["forecast"] });
    expect(arr.some((e) => (e.value as number) < 0)).toBe(true);
  });

  it("returns weeks so far for the current quarter and all weeks for a past one", () => {
    const org = createOrg(42, 40, now);
    const cur = org.weeks("2026_Q4");
    expect(cur.map((w) => w.startDate)).toEqual([
      "2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16",
    ]);
    expect(org.weeks("2026_Q3")).toHaveLength(14);
    expect(org.weeks("2026_Q3")[0]?.startDate).toBe("2026-06-29"); // week 1 starts before the quarter
    const hist = org.forecastEntries("net_bookings", "2026_Q4", { includeHistorical: true, typesToExport: ["forecast"] });
    expect(new Set(hist.map((e) => e.weekIndex)).size).toBe(8);
    const latest = org.forecastEntries("net_bookings", "2026_Q4", { typesToExport: ["forecast"] });
    expect(new Set(latest.map((e) => e.weekIndex))).toEqual(new Set([8]));
  });

  it("falls back to the current quarter for unparseable, future and too-old periods", () => {
    expect(resolvePeriod("garbage", T0)).toMatchObject({ timePeriodId: "2026_Q4", fellBack: true });
    expect(resolvePeriod("2027_Q2", T0)).toMatchObject({ timePeriodId: "2026_Q4", fellBack: true });
    expect(resolvePeriod("2023_Q1", T0)).toMatchObject({ timePeriodId: "2026_Q4", fellBack: true });
    expect(resolvePeriod("2025_Q1", T0)).toMatchObject({ timePeriodId: "2025_Q1", fellBack: false, label: "Q1 2025" });
    expect(resolvePeriod(undefined, T0)).toMatchObject({ timePeriodId: "2026_Q4", fellBack: false });
    expect(weeksSoFar({ year: 2026, quarter: 4 }, T0)).toHaveLength(8);
    expect(quarterWeeks({ year: 2026, quarter: 1 })[0]?.startDate).toBe("2025-12-29");
  });

  it("names the same Forecast Tabs to the product (identity.ts) as its data has", () => {
    expect(FORECAST_TABS.map((t) => t.forecastId)).toEqual(SANDBOX_FORECAST_TABS);
  });

  it("exposes opportunities, activities and audit actors", () => {
    const org = createOrg(42, 40, now);
    expect(org.opportunities().length).toBeGreaterThanOrEqual(200);
    expect(org.opportunities()[0]?.oppId).toMatch(/^006[0-9A-Za-z]{15}$/);
    expect(org.activities().length).toBeGreaterThan(100);
    const events = org.auditEvents();
    expect(events.length).toBeGreaterThanOrEqual(200);
    const actorIds = new Set(org.auditActors().map((a) => a.actorId));
    for (const e of events) expect(actorIds.has(e.actorId)).toBe(true);
  });
});
