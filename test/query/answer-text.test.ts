/**
 * What clari_query's text says: numbers as a person would quote them (money to the cent, ratios to
 * four significant digits, so 3.5646 and 3.5575 stay apart), and, over tables with nothing stored
 * behind them, that nothing is stored and the exact call that stores it (not a bare "0 rows").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { exportResults, Forecast, type RawTables } from "../answers/raw-data.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { jobDurationMs: 100 } });
});
afterAll(() => h.close());

async function ask(sql: string): Promise<{ text: string; warnings: string[] }> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql } });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { text: textOf(result), warnings: (result.structuredContent as { warnings?: string[] }).warnings ?? [] };
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe("an empty store answers what to store first", () => {
  it("names the export or read that fills each table family, with its exact call", async () => {
    const now = Date.now();
    const forecast = await ask("SELECT count(*) FROM forecast f JOIN people p USING (export_id, user_id) WHERE NOT f.updated");
    expect(forecast.warnings).toEqual([
      'Nothing stored to answer from: no forecast export yet. Store it first with clari_export_forecast {"forecastId":"<the Forecast Tab id from its Clari URL>"}, then ask again.',
    ]);
    expect((await ask("SELECT event, count(*) FROM audit_events GROUP BY 1")).text).toContain("no audit export or audit page yet. Store it first with clari_export_audit_events {}");
    expect((await ask("SELECT count(*) FROM activities")).text).toContain(`clari_export_activity {"startDate":"${day(now - 30 * DAY)}","endDate":"${day(now)}"}`);
    expect((await ask("SELECT * FROM opportunities")).text).toContain(`clari_get_opportunities {"fromActivities":{"since":"${day(now - 30 * DAY)}","until":"${day(now)}"}}`);
    expect((await ask("SELECT 42 AS answer")).warnings).toEqual([]);
  });

  it("says nothing once the family has data", async () => {
    const page = await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 20 } });
    expect(page.isError, textOf(page)).toBeFalsy();
    expect((await ask("SELECT count(*) FROM audit_events")).warnings).toEqual([]);
    expect((await ask("SELECT count(*) FROM forecast")).warnings).toHaveLength(1);
  });
});

describe("numbers as a person would quote them", () => {
  it("keeps four significant digits of a ratio and the cents of money", async () => {
    const { text } = await ask("SELECT 3.5646::DOUBLE AS a, 3.5575::DOUBLE AS b, 0.99864::DOUBLE AS share, 3647967.43::DOUBLE AS money, 512.37::DOUBLE AS small, 12::DOUBLE AS whole");
    const row = text.split("\n").find((l) => l.startsWith("| 3."))!;
    const [a, b, share, money, small, whole] = row.split("|").slice(1, -1).map((c) => c.trim());
    expect(a).toBe("3.565");
    expect(b).toMatch(/^3\.55[78]$/);
    expect(a).not.toBe(b);
    expect([share, money, small, whole]).toEqual(["0.9986", "3647967.43", "512.37", "12"]);
  });

  it("a leader's attainment from the sandbox's raw export, to four significant digits", async () => {
    const exported = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", includeHistorical: false, waitSeconds: 30 } });
    const jobId = (exported.structuredContent as { jobId: string }).jobId;
    const raw = new Forecast(await exportResults<RawTables>(h.sandbox, jobId));
    const top = raw.user((u) => !u.parentHierarchyId);
    const ratio = raw.value(top.userId, "Commit")! / raw.value(top.userId, "Quota")!;
    const { text } = await ask(
      `SELECT max(value) FILTER (WHERE field = 'Commit') / max(value) FILTER (WHERE field = 'Quota') AS attainment FROM forecast WHERE export_id = '${jobId}' AND user_id = '${top.userId}' AND is_latest_week`,
    );
    expect(text.split("\n")[3]).toBe(`| ${Number(ratio.toPrecision(4))} |`);
  });
});
