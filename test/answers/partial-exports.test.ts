/**
 * Exports that are only part of the story: a manager's scoped export beside the company-wide one,
 * a newer export asked without a type an older one had, and a scoped CRM read beside a
 * company-wide one. The metrics read the company-wide export (whichever came last), say when the
 * export they read lacks a type another has, and keep each person's level and region from the
 * company-wide read. Checked against the sandbox's raw HTTP answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { midWeek } from "./clock.js";
import { exportResults, Forecast, type RawTables } from "./raw-data.js";

let h: Harness;
let whole: Forecast;
let vpScope: string;
const clock = midWeek();

async function exported(args: Record<string, unknown>): Promise<string> {
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { waitSeconds: 30, ...args } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out?.outcome, textOf(result)).toBe("done");
  return out.jobId;
}

async function ask(sql: string): Promise<{ rows: Array<Record<string, unknown>>; warnings: string[] }> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { columns: Array<{ name: string }>; rows: unknown[][]; warnings?: string[] };
  return { rows: out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]]))), warnings: out.warnings ?? [] };
}

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 41, jobDurationMs: 50, now: clock } });
  const wholeJob = await exported({ forecastId: "renewals", typesToExport: ["forecast", "quota", "forecast_updated"] });
  whole = new Forecast(await exportResults<RawTables>(h.sandbox, wholeJob));
  const vp = whole.user((u) => u.hierarchyName.startsWith("VP Sales"));
  vpScope = `${vp.hierarchyId}::MGR`;
}, 60_000);
afterAll(() => h.close());

describe("exports that are part of the story", () => {
  it("a scoped export after the company-wide one: the metrics still read everyone", async () => {
    const scoped = await exported({ forecastId: "renewals", typesToExport: ["forecast", "quota", "forecast_updated"], scopeId: vpScope });
    const { rows, warnings } = await ask(`SELECT user_id, value, quota FROM attainment('renewals')`);
    expect(rows).toHaveLength(whole.raw.users.length);
    for (const u of whole.raw.users) expect(Number(rows.find((r) => r.user_id === u.userId)?.quota)).toBeCloseTo(whole.value(u.userId, "Quota") ?? NaN, 2);
    expect(warnings.join("\n")).not.toMatch(/covers scope/);
    // The scoped one stays queryable under its own id.
    const own = await ask(`SELECT count(DISTINCT user_id) AS people FROM forecast_all WHERE export_id = '${scoped}'`);
    expect(Number(own.rows[0]!.people)).toBeLessThan(whole.raw.users.length);
  });

  it("a newer export without quota: attainment says which export has it", async () => {
    const withQuota = await exported({ forecastId: "net_bookings", typesToExport: ["forecast", "quota"] });
    const without = await exported({ forecastId: "net_bookings", typesToExport: ["forecast"], fresh: true });
    const { rows, warnings } = await ask(`SELECT user_id, value, quota FROM attainment('net_bookings')`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.quota === null)).toBe(true);
    const text = warnings.join("\n");
    expect(text).toContain(`Export ${without}`);
    expect(text).toMatch(/asked without quota/);
    expect(text).toContain(`forecast_all WHERE export_id = '${withQuota}'`);
  });

  it("a scoped CRM read after the company-wide one keeps levels and regions from the company-wide read", async () => {
    for (const args of [{ forecastId: "renewals" }, { forecastId: "renewals", scopeId: vpScope }]) {
      const got = await h.client.callTool({ name: "clari_get_forecast", arguments: args });
      expect(got.isError, textOf(got)).toBeFalsy();
    }
    const { rows } = await ask(`SELECT DISTINCT user_id, level FROM crm_totals WHERE forecast_id = 'renewals'`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(Number(r.level)).toBe(whole.level(whole.byId(String(r.user_id))));
  });
  it("a metric asked about a tab or period nothing stored holds says so, and what is stored", async () => {
    const now = new Date(clock());
    const quarter = `${now.getUTCFullYear()}_Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    await exported({ forecastId: "net_arr", timePeriod: quarter, typesToExport: ["forecast", "quota"] });
    const typo = await ask(`SELECT * FROM attainment('net_bookingz')`);
    expect(typo.rows).toEqual([]);
    expect(typo.warnings.join("\n")).toMatch(/no export of tab 'net_bookingz' is stored \(stored tabs: [^)]*net_arr/);
    const future = await ask(`SELECT * FROM attainment('net_arr', '2031_Q1')`);
    expect(future.rows).toEqual([]);
    expect(future.warnings.join("\n")).toContain(`the stored exports of 'net_arr' are for ${quarter}. Store 2031_Q1 with clari_export_forecast {"forecastId":"net_arr","timePeriod":"2031_Q1"}`);
  });
  it("a metric's currency may be named by its ISO code or by the symbol the export carries", async () => {
    await exported({ forecastId: "renewals", typesToExport: ["forecast", "quota"], currency: "EUR" });
    const byCode = await ask(`SELECT count(*) AS n, min(currency) AS currency FROM attainment('renewals', cur := 'EUR')`);
    const bySymbol = await ask(`SELECT count(*) AS n FROM attainment('renewals', cur := '€')`);
    expect(Number(byCode.rows[0]!.n)).toBe(whole.raw.users.length);
    expect(Number(bySymbol.rows[0]!.n)).toBe(whole.raw.users.length);
    // Without cur, each currency's rows stay apart; a sum across them is warned about, naming currency.
    const mixed = await ask(`SELECT sum(value) AS total FROM attainment('renewals')`);
    expect(mixed.warnings.join("\n")).toMatch(/2 currencies[\s\S]*AND currency = '/);
  });
});
