/** clari_get_forecast: the current week, summarised as the sandbox's synchronous GET /forecast/{id} has it; no job. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getForecast } from "../../src/tools/catalog/get-forecast.js";
import type { RawTables } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectForecastSummary } from "./raw-forecast.js";
import { call, raw } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_get_forecast", () => {
  it("summarises the current week of a forecast tab without queuing a job", async () => {
    const { out, text } = await call(h, getForecast, { forecastId: "renewals" });
    // The tool's default typesToExport, asked the same way.
    const week = await raw<RawTables>("GET", `${h.sandbox.v4Url}/forecast/renewals?typesToExport=forecast,quota,forecast_updated`);
    expect(out.forecastId).toBe("renewals");
    const summary = expectForecastSummary(out.summary, week);
    expect(summary.weeks.count).toBe(1);
    expect(h.sandbox.stats().jobsCreated).toBe(0);
    expect(text).toMatch(/^Forecast renewals, current week:/);
  });

  it("reads crm_total, which no export gives", async () => {
    const { out } = await call(h, getForecast, { forecastId: "net_bookings", typesToExport: ["crm_total"] });
    const week = await raw<RawTables & { entries: Array<{ crmTotalValue?: number }> }>("GET", `${h.sandbox.v4Url}/forecast/net_bookings?typesToExport=crm_total`);
    expect(week.entries.length).toBeGreaterThan(0);
    expect(out.summary.dataTypes).toEqual(["crm_total"]);
    expect(out.summary.userCount).toBe(new Set(week.entries.map((e) => e.userId)).size);
  });
});
