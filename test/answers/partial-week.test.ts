/**
 * A Monday morning: the sandbox's clock stands at 03:00 UTC, when some calls of the new week are
 * updated and none adjusted. The export's summary and clari_query's answers say the latest week
 * had only just begun and which week a hygiene question should use; forecast_weeks marks the
 * weeks; hygiene() answers for last week by default. Every number is checked against the
 * sandbox's raw export.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { mondayMorning } from "./clock.js";
import { exportResults, Forecast, type RawTables } from "./raw-data.js";

let h: Harness;
let bookings: Forecast;
let jobId: string;
let summaryText: string;
let period: string;
let latest: string;
let previous: string;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 31, jobDurationMs: 50, now: mondayMorning() } });
  const result = await h.client.callTool({
    name: "clari_export_forecast",
    arguments: { forecastId: "net_bookings", includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated", "adjustment"], waitSeconds: 30 },
  });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out.outcome, textOf(result)).toBe("done");
  jobId = out.jobId;
  summaryText = textOf(result);
  bookings = new Forecast(await exportResults<RawTables>(h.sandbox, jobId));
  period = bookings.raw.entries[0]!.timePeriodId;
  latest = bookings.startOf(bookings.latestFrame);
  previous = bookings.startOf(bookings.frames[bookings.frames.length - 2]!);
}, 60_000);
afterAll(() => h.close());

async function ask(sql: string): Promise<{ rows: unknown[][]; warnings: string[] }> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { rows: unknown[][]; warnings?: string[] };
  return { rows: out.rows, warnings: out.warnings ?? [] };
}

const notUpdated = (frame: string) => bookings.raw.users.filter((u) => bookings.entry(u.userId, "Commit", frame)?.isUpdated === false).map((u) => u.name).sort();

describe("a Monday morning", () => {
  it("the latest week is part done: some have updated, many not, nobody adjusted", () => {
    const pending = notUpdated(bookings.latestFrame).length;
    expect(pending).toBeGreaterThan(0);
    expect(pending).toBeLessThan(bookings.raw.users.length);
    expect(pending).toBeGreaterThan(notUpdated(bookings.frames[bookings.frames.length - 2]!).length);
  });

  it("the export's summary warns, names the hygiene week and counts hygiene in it", () => {
    expect(summaryText).toMatch(new RegExp(`The latest week, week \\d+ of ${period} \\(from ${latest}\\), had begun 3 h before export ${jobId}`));
    expect(summaryText).toMatch(new RegExp(`use week \\d+ \\(from ${previous}\\)`));
    const expected = notUpdated(bookings.frames[bookings.frames.length - 2]!).length;
    expect(summaryText).toContain(`Update hygiene: ${expected} of ${bookings.raw.users.length} people have not updated their Commit call in week`);
  });

  it("forecast_weeks: the latest week neither complete nor for hygiene, the week before both", async () => {
    const { rows } = await ask(`SELECT week_start::VARCHAR, is_latest_week, is_complete_week, for_hygiene FROM forecast_weeks WHERE forecast_id = 'net_bookings' AND time_period = '${period}' ORDER BY week_start DESC LIMIT 2`);
    expect(rows).toEqual([
      [latest, true, false, false],
      [previous, false, true, true],
    ]);
  });

  it("'who has not updated this week' on the latest week answers, and warns it is only just begun", async () => {
    const { rows, warnings } = await ask(
      `SELECT p.name FROM forecast f JOIN people p USING (export_id, user_id)
       WHERE f.forecast_id = 'net_bookings' AND f.time_period = '${period}' AND f.is_latest_week AND f.field = 'Commit' AND NOT f.updated ORDER BY p.name`,
    );
    expect(rows.map((r) => r[0])).toEqual(notUpdated(bookings.latestFrame));
    expect(warnings.join("\n")).toMatch(new RegExp(`had begun 3 h before export ${jobId}.*use week \\d+ \\(from ${previous}\\)`));
  });

  it("hygiene() answers for the hygiene week by default, without that warning", async () => {
    const { rows, warnings } = await ask(`SELECT name, week_start::VARCHAR FROM hygiene('net_bookings', '${period}') WHERE NOT updated ORDER BY name`);
    expect(rows.map((r) => r[0])).toEqual(notUpdated(bookings.frames[bookings.frames.length - 2]!));
    for (const r of rows) expect(r[1]).toBe(previous);
    expect(warnings.join("\n")).not.toMatch(/had begun/);
  });

  it("adjustments: none yet in the latest week; last week's with the adjuster's name", async () => {
    const lastWeek = bookings.frames[bookings.frames.length - 2]!;
    const expected = bookings.raw.users
      .flatMap((u) => ["Commit", "Most Likely"].map((field) => ({ u, field, e: bookings.entry(u.userId, field, lastWeek) })))
      .filter((x) => x.e?.adjustmentValue !== undefined)
      .map((x) => [x.u.name, x.field, bookings.byId(x.e!.adjustedBy!).name])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
    expect(expected.length).toBeGreaterThan(0);
    const now = await ask(`SELECT count(*) FROM adjustments('net_bookings', '${period}') WHERE is_latest_week`);
    expect(now.rows[0]![0]).toBe(0);
    const before = await ask(
      `SELECT a.name, a.field, a.adjusted_by_name FROM adjustments('net_bookings', '${period}') a
       JOIN forecast_weeks w ON w.export_id = a.export_id AND w.week = a.week AND w.for_hygiene ORDER BY a.name, a.field`,
    );
    expect(before.rows).toEqual(expected);
  });
});
