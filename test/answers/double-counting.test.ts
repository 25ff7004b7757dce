/**
 * The obvious query is right, and a result that is not says so. With one tab stored, then a
 * second tab, then a second export of the first: `forecast` gives one tab's numbers whenever the
 * query names its tab (a newer export replaces an older one, never adds to it); a sum that never
 * selects forecast_id, read over two tabs, is warned about, however the query reaches the rows
 * (directly, through a CTE, a subquery, a hierarchy); forecast_all and people hold what they say.
 * Numbers are checked against sums computed by hand from the sandbox's raw exports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { midWeek } from "./clock.js";
import { exportResults, Forecast, type RawTables } from "./raw-data.js";

let h: Harness;
let period: string;
const TYPES = ["forecast", "quota"];

async function exportTab(forecastId: string, fresh = false): Promise<{ jobId: string; raw: Forecast }> {
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId, typesToExport: TYPES, waitSeconds: 30, fresh } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out?.outcome, textOf(result)).toBe("done");
  return { jobId: out.jobId, raw: new Forecast(await exportResults<RawTables>(h.sandbox, out.jobId)) };
}

async function ask(sql: string): Promise<{ rows: unknown[][]; warnings: string[] }> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { rows: unknown[][]; warnings?: string[] };
  return { rows: out.rows, warnings: out.warnings ?? [] };
}

const mixed = (warnings: string[]) => warnings.filter((w) => /rows of 2 tabs|exports of|could not be traced/.test(w));
const quotaSum = (f: Forecast) => f.raw.users.reduce((s, u) => s + (f.value(u.userId, "Quota") ?? 0), 0);
const reps = (f: Forecast) => f.reps().length;

let bookings: Forecast;
let renewals: Forecast;
let first: string;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 40, seed: 5, jobDurationMs: 50, now: midWeek() } });
}, 30_000);
afterAll(() => h.close());

const SUM = "SELECT sum(value) AS quota FROM forecast WHERE field = 'Quota' AND is_latest_week";

describe("one tab, two tabs, two exports of one tab", () => {
  it("one tab stored: the plain sum is that tab's, with no warning", async () => {
    ({ jobId: first, raw: bookings } = await exportTab("net_bookings"));
    period = bookings.raw.entries[0]!.timePeriodId;
    const { rows, warnings } = await ask(SUM);
    expect(rows[0]![0] as number).toBeCloseTo(quotaSum(bookings), 2);
    expect(mixed(warnings)).toEqual([]);
  });

  it("two tabs: the sum that selects no forecast_id adds both and says so; naming the tab gives its own", async () => {
    ({ raw: renewals } = await exportTab("renewals"));
    const both = await ask(SUM);
    expect(both.rows[0]![0] as number).toBeCloseTo(quotaSum(bookings) + quotaSum(renewals), 2);
    expect(mixed(both.warnings)).toHaveLength(1);
    expect(both.warnings[0]).toMatch(/2 tabs \((net_bookings, renewals|renewals, net_bookings)\)/);
    // Asked again over the same tables (its trace is kept): the same rows, the same warning.
    expect(await ask(SUM)).toEqual(both);

    const one = await ask(`${SUM} AND forecast_id = 'net_bookings' AND time_period = '${period}'`);
    expect(one.rows[0]![0] as number).toBeCloseTo(quotaSum(bookings), 2);
    expect(mixed(one.warnings)).toEqual([]);

    const grouped = await ask("SELECT forecast_id, sum(value) FROM forecast WHERE field = 'Quota' AND is_latest_week GROUP BY forecast_id ORDER BY forecast_id");
    expect(grouped.rows.map((r) => r[0])).toEqual(["net_bookings", "renewals"]);
    expect(mixed(grouped.warnings)).toEqual([]);
  });

  it("the mix is traced through a CTE, a subquery in FROM, a join and a hierarchy alone", async () => {
    for (const sql of [
      "WITH q AS (SELECT * FROM forecast WHERE field = 'Quota') SELECT sum(value) FROM q WHERE is_latest_week",
      "SELECT sum(v) FROM (SELECT value AS v FROM forecast x WHERE x.field = 'Quota' AND x.is_latest_week) t",
      "SELECT sum(f.value) FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.field = 'Quota' AND f.is_latest_week AND p.is_rep",
    ]) {
      const { warnings } = await ask(sql);
      expect(mixed(warnings), sql).toHaveLength(1);
    }
    const people = await ask("SELECT count(*) FROM people WHERE is_rep");
    expect(people.rows[0]![0]).toBe(reps(bookings) + reps(renewals));
    expect(mixed(people.warnings)).toHaveLength(1);
    const named = await ask(`SELECT count(*) FROM people p JOIN exports e USING (export_id) WHERE p.is_rep AND e.forecast_id = 'renewals'`);
    expect(named.rows[0]![0]).toBe(reps(renewals));
    expect(mixed(named.warnings)).toEqual([]);
  });

  it("a query whose sources cannot be traced, with two tabs stored, is warned about", async () => {
    // A correlated subquery cannot run alone, so its companion cannot either.
    const { warnings } = await ask(
      "SELECT sum((SELECT f.value FROM forecast f WHERE f.user_id = p.user_id AND f.export_id = p.export_id AND f.field = 'Quota' AND f.is_latest_week)) FROM people p WHERE p.level = 0",
    );
    expect(warnings.join("\n")).toMatch(/could not be traced, and 2 are stored/);
  });

  it("a second export of the same tab replaces the first in forecast and people; forecast_all keeps both and says so", async () => {
    const { jobId: second, raw: again } = await exportTab("net_bookings", true);
    expect(second).not.toBe(first);
    const one = await ask(`${SUM} AND forecast_id = 'net_bookings' AND time_period = '${period}'`);
    expect(one.rows[0]![0] as number).toBeCloseTo(quotaSum(again), 2);
    expect(mixed(one.warnings)).toEqual([]);

    const all = await ask(`SELECT sum(value) FROM forecast_all WHERE field = 'Quota' AND is_latest_week AND forecast_id = 'net_bookings'`);
    expect(all.rows[0]![0] as number).toBeCloseTo(quotaSum(bookings) + quotaSum(again), 2);
    expect(all.warnings.join("\n")).toContain(`2 exports of net_bookings ${period}`);

    const reps = await ask(`SELECT count(*) FROM people p JOIN exports e USING (export_id) WHERE p.is_rep AND e.forecast_id = 'net_bookings'`);
    expect(reps.rows[0]![0]).toBe(again.reps().length);
    const current = await ask("SELECT export_id, is_current FROM exports WHERE forecast_id = 'net_bookings' ORDER BY finished_at");
    expect(current.rows).toEqual([
      [first, false],
      [second, true],
    ]);
  });
});
