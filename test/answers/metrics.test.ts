/**
 * The named metrics, each answered by one clari_query call with two tabs stored, checked against
 * numbers computed by hand from the sandbox's raw HTTP answers (raw-data.ts): attainment, gap to
 * quota, upside, coverage, coverage of the remaining quota (from a clari_get_forecast read), a
 * leader's haircut, hygiene, movement, adjustments with the adjuster's name, names beside ids and
 * regions. The sandbox's clock stands on a Wednesday, when every call of the week is in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { midWeek } from "./clock.js";
import { exportResults, forecastRead, Forecast, type RawTables } from "./raw-data.js";

let h: Harness;
let bookings: Forecast;
let read: Forecast;
let period: string;
const clock = midWeek();

const TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];

async function exported(tool: string, args: Record<string, unknown>): Promise<string> {
  const result = await h.client.callTool({ name: tool, arguments: { waitSeconds: 30, ...args } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out?.outcome, textOf(result)).toBe("done");
  return out.jobId;
}

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 23, jobDurationMs: 50, now: clock } });
  bookings = new Forecast(await exportResults<RawTables>(h.sandbox, await exported("clari_export_forecast", { forecastId: "net_bookings", includeHistorical: true, typesToExport: TYPES })));
  await exported("clari_export_forecast", { forecastId: "renewals", includeHistorical: true, typesToExport: TYPES });
  period = bookings.raw.entries[0]!.timePeriodId;
  const got = await h.client.callTool({ name: "clari_get_forecast", arguments: { forecastId: "net_bookings" } });
  expect(got.isError, textOf(got)).toBeFalsy();
  read = new Forecast(await forecastRead(h.sandbox, "net_bookings"));
}, 120_000);
afterAll(() => h.close());

interface Answer {
  rows: Array<Record<string, unknown>>;
  text: string;
  warnings: string[];
  definitions: string[];
}

async function ask(sql: string, limit = 500): Promise<Answer> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { columns: Array<{ name: string }>; rows: unknown[][]; warnings?: string[]; definitions?: string[] };
  return {
    rows: out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]]))),
    text: textOf(result),
    warnings: out.warnings ?? [],
    definitions: out.definitions ?? [],
  };
}

const close = (a: unknown, b: number | undefined) => expect(Number(a)).toBeCloseTo(b ?? NaN, 2);
const num = (v: number | undefined) => v ?? 0;

describe("named metrics against the raw export", () => {
  it("attainment and gap to quota: each person's own Commit over their own quota, this tab only", async () => {
    const { rows, definitions, warnings } = await ask(`SELECT user_id, forecast_id, value, quota, attainment, gap_to_quota FROM attainment('net_bookings', '${period}')`);
    expect(rows).toHaveLength(bookings.raw.users.length);
    expect(new Set(rows.map((r) => r.forecast_id))).toEqual(new Set(["net_bookings"]));
    for (const u of bookings.raw.users) {
      const row = rows.find((r) => r.user_id === u.userId)!;
      const [commit, quota] = [num(bookings.value(u.userId, "Commit")), num(bookings.value(u.userId, "Quota"))];
      close(row.value, commit);
      close(row.quota, quota);
      close(row.attainment, commit / quota);
      close(row.gap_to_quota, quota - commit);
    }
    expect(definitions.join("\n")).toMatch(/attainment = value \/ quota/);
    expect(warnings.join("\n")).not.toMatch(/rows of 2 tabs/);
  });

  it("upside of the VPs and pipeline coverage of the reps", async () => {
    const vps = bookings.raw.users.filter((u) => bookings.level(u) === 1);
    const up = await ask(`SELECT user_id, upside FROM upside('net_bookings', '${period}') WHERE level = 1`);
    expect(up.rows).toHaveLength(vps.length);
    for (const vp of vps) close(up.rows.find((r) => r.user_id === vp.userId)!.upside, num(bookings.value(vp.userId, "Best Case")) - num(bookings.value(vp.userId, "Commit")));
    const cov = await ask(`SELECT user_id, pipeline_coverage FROM coverage('net_bookings', '${period}') WHERE is_rep`);
    expect(cov.rows).toHaveLength(bookings.reps().length);
    for (const rep of bookings.reps()) close(cov.rows.find((r) => r.user_id === rep.userId)!.pipeline_coverage, num(bookings.value(rep.userId, "Pipeline")) / num(bookings.value(rep.userId, "Quota")));
  });

  it("a leader's haircut: own Commit against the sum of their direct reports' own Commit", async () => {
    const { rows } = await ask(`SELECT user_id, own_call, team_call, direct_reports, haircut, haircut_pct FROM haircut('net_bookings', '${period}')`);
    const leaders = bookings.managers();
    expect(rows).toHaveLength(leaders.length);
    for (const l of leaders) {
      const row = rows.find((r) => r.user_id === l.userId)!;
      const own = num(bookings.value(l.userId, "Commit"));
      const team = bookings.reports(l).reduce((s, u) => s + num(bookings.value(u.userId, "Commit")), 0);
      expect(Number(row.direct_reports)).toBe(bookings.reports(l).length);
      close(row.own_call, own);
      close(row.team_call, team);
      close(row.haircut, own - team);
      close(row.haircut_pct, own / team - 1);
    }
  });

  it("coverage of the remaining quota per rep, from the kept clari_get_forecast read", async () => {
    const { rows, definitions } = await ask(`SELECT user_id, pipeline, closed, quota, remaining_quota, remaining_coverage FROM remaining_coverage('net_bookings', '${period}') WHERE is_rep`);
    const reps = read.reps();
    expect(rows).toHaveLength(reps.length);
    for (const rep of reps) {
      const row = rows.find((r) => r.user_id === rep.userId)!;
      const pipe = read.entry(rep.userId, "Pipeline")!;
      const quota = num(read.entry(rep.userId, "Quota")?.quotaValue);
      const remaining = quota - num(pipe.closedTotal);
      close(row.pipeline, pipe.aggregationTotal);
      close(row.closed, pipe.closedTotal);
      close(row.remaining_quota, remaining);
      if (remaining > 0) close(row.remaining_coverage, num(pipe.aggregationTotal) / remaining);
      else expect(row.remaining_coverage).toBeNull();
    }
    expect(definitions.join("\n")).toMatch(/remaining_quota = quota - closed/);
  });

  it("a past quarter's read stays queryable beside this quarter's", async () => {
    const [year, q] = period.split("_Q").map(Number) as [number, number];
    const past = q === 1 ? `${year - 1}_Q4` : `${year}_Q${q - 1}`;
    const got = await h.client.callTool({ name: "clari_get_forecast", arguments: { forecastId: "net_bookings", timePeriod: past } });
    expect(got.isError, textOf(got)).toBeFalsy();
    const old = new Forecast(await forecastRead(h.sandbox, "net_bookings", past));
    const cro = old.user((u) => !u.parentHierarchyId);
    const { rows } = await ask(`SELECT time_period, week_start::VARCHAR AS week_start, pipeline, closed FROM remaining_coverage('net_bookings', '${past}') WHERE level = 0`);
    expect(rows).toHaveLength(1);
    expect([rows[0]!.time_period, rows[0]!.week_start]).toEqual([past, old.startOf(old.latestFrame)]);
    close(rows[0]!.pipeline, old.entry(cro.userId, "Pipeline")!.aggregationTotal);
    close(rows[0]!.closed, old.entry(cro.userId, "Pipeline")!.closedTotal);
    const periods = await ask("SELECT DISTINCT time_period FROM crm_totals WHERE forecast_id = 'net_bookings' ORDER BY 1");
    expect(periods.rows.map((r) => r.time_period)).toEqual([past, period]);
  });

  it("hygiene: who has not updated their Commit in the hygiene week (on a Wednesday, the latest)", async () => {
    const expected = bookings.raw.users.filter((u) => bookings.entry(u.userId, "Commit")?.isUpdated === false).map((u) => u.userId).sort();
    const { rows } = await ask(`SELECT user_id, week_start FROM hygiene('net_bookings', '${period}') WHERE NOT updated ORDER BY user_id`);
    expect(rows.map((r) => r.user_id)).toEqual(expected);
    for (const r of rows) expect(String(r.week_start).slice(0, 10)).toBe(bookings.startOf(bookings.latestFrame));
    const share = await ask(`SELECT avg(updated::INT) AS share FROM hygiene('net_bookings', '${period}')`);
    close(share.rows[0]!.share, 1 - expected.length / bookings.raw.users.length);
  });

  it("movement: this week's Commit against last week's, per person", async () => {
    const previous = bookings.frames[bookings.frames.length - 2]!;
    const { rows } = await ask(`SELECT user_id, value, previous, change FROM movement('net_bookings', '${period}')`);
    expect(rows).toHaveLength(bookings.raw.users.length);
    for (const u of bookings.raw.users) {
      const row = rows.find((r) => r.user_id === u.userId)!;
      close(row.previous, bookings.value(u.userId, "Commit", previous));
      close(row.change, num(bookings.value(u.userId, "Commit")) - num(bookings.value(u.userId, "Commit", previous)));
    }
  });

  it("adjustments with names: whose call, which field, by how much, adjusted by whom", async () => {
    const expected = bookings.raw.users.flatMap((u) =>
      ["Commit", "Most Likely"].flatMap((field) => {
        const e = bookings.entry(u.userId, field);
        return e?.adjustmentValue === undefined ? [] : [{ name: u.name, field, delta: e.adjustmentValue - num(e.forecastValue), by: bookings.byId(e.adjustedBy!).name }];
      }),
    );
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = await ask(`SELECT name, field, delta, adjusted_by_name FROM adjustments('net_bookings', '${period}') WHERE is_latest_week ORDER BY name, field`);
    expect(rows.map((r) => [r.name, r.field, r.adjusted_by_name])).toEqual(
      expected.sort((a, b) => a.name.localeCompare(b.name) || a.field.localeCompare(b.field)).map((e) => [e.name, e.field, e.by]),
    );
    rows.forEach((r, i) => close(r.delta, expected[i]!.delta));
  });

  it("names beside ids in forecast, and each person's region from their VP's role", async () => {
    const { rows } = await ask(
      `SELECT p.user_id, p.region, f.updated_by, f.updated_by_name FROM people p JOIN forecast f USING (export_id, user_id)
       WHERE f.forecast_id = 'net_bookings' AND f.time_period = '${period}' AND f.is_latest_week AND f.field = 'Commit'`,
    );
    expect(rows).toHaveLength(bookings.raw.users.length);
    for (const u of bookings.raw.users) {
      const row = rows.find((r) => r.user_id === u.userId)!;
      const vp = bookings.vpOf(u);
      expect(row.region).toBe(vp ? vp.hierarchyName.split(" - ").at(-1) : null);
      const by = bookings.entry(u.userId, "Commit")?.updatedBy;
      expect(row.updated_by_name).toBe(by ? bookings.byId(by).name : null);
    }
  });
});
