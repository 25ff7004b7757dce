/** Every answer states today's date (UTC) and the current quarter; forecast answers add their week. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { resultSchemas } from "../../src/tools/kit/result-schema.js";
import { timeContext, timeContextLine } from "../../src/tools/kit/time-context.js";
import { API_KEY, startHarness, textOf, type Harness } from "../helpers/harness.js";

describe("timeContext", () => {
  it("gives today (UTC) and the calendar quarter", () => {
    expect(timeContext(new Date("2026-12-01T10:00:00Z"))).toEqual({ today: "2026-12-01", currentQuarter: "2026_Q4" });
    expect(timeContext(Date.parse("2026-03-31T23:59:59Z"))).toEqual({ today: "2026-03-31", currentQuarter: "2026_Q1" });
    expect(timeContext(Date.parse("2026-04-01T00:00:00Z")).currentQuarter).toBe("2026_Q2");
    expect(timeContext(Date.parse("2027-01-01T00:30:00+01:00"))).toEqual({ today: "2026-12-31", currentQuarter: "2026_Q4" });
    expect(timeContextLine(timeContext(new Date("2026-12-01T10:00:00Z")))).toBe("Today is 2026-12-01 (UTC); current quarter 2026_Q4.");
  });

  it("names at most eight known tabs in the text and counts the rest", () => {
    const forecastTabs = Array.from({ length: 11 }, (_, i) => `tab_${i + 1}`);
    expect(timeContextLine({ ...timeContext(new Date("2026-12-01T10:00:00Z")), forecastTabs })).toBe(
      "Today is 2026-12-01 (UTC); current quarter 2026_Q4. Forecast tabs known: tab_1, tab_2, tab_3, tab_4, tab_5, tab_6, tab_7, tab_8, and 3 more (clari://forecast-tabs).",
    );
  });
});

describe("every tool result", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.client.listTools();
  });
  afterAll(() => h.close());

  const expected = () => timeContext();

  it("ends its text with the time context and carries it as structuredContent.context", async () => {
    // No Forecast Tab is known yet (no setting, nothing stored or read): the context is the date alone.
    for (const [name, args] of [
      ["clari_get_limits", {}],
      ["clari_list_export_jobs", {}],
    ] as const) {
      const result = await h.client.callTool({ name, arguments: args });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(textOf(result).split("\n").at(-1), name).toBe(timeContextLine(expected()));
      expect((result.structuredContent as { context: unknown }).context, name).toEqual(expected());
    }
    // A forecast event read from the audit log names its tab: the context then lists it too.
    const page = await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 5, event: "forecast.updated" } });
    expect(page.isError, textOf(page)).toBeFalsy();
    // The same page read straight from the sandbox over HTTP: the tabs its events name.
    const raw = (await (await fetch(`${h.sandbox.v4Url}/audit/events?event=forecast.updated&limit=5`, { headers: { apikey: API_KEY } })).json()) as { items: Array<{ eventParameters: { forecastId: string } }> };
    const tabs = [...new Set(raw.items.map((e) => e.eventParameters.forecastId))];
    expect(textOf(page).split("\n").at(-1)).toBe(`${timeContextLine(expected())} Forecast tabs known: ${tabs.join(", ")}.`);
    expect((page.structuredContent as { context: unknown }).context).toEqual({ ...expected(), forecastTabs: tabs });
  });

  it("names the week of a forecast export's numbers", async () => {
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
    const out = result.structuredContent as { context: { forecastWeek: string; forecastTabs: string[] }; summary: { dataWeek: { text: string } } };
    expect(out.context).toMatchObject({ ...expected(), forecastWeek: out.summary.dataWeek.text });
    expect(out.context.forecastTabs[0]).toBe("net_bookings"); // the tab exported last comes first
    expect(out.context.forecastWeek).toMatch(/^week \d+ of \d{4}_Q\d, starting \d{4}-\d{2}-\d{2}$/);
    expect(textOf(result)).toContain(`Numbers below are for ${out.context.forecastWeek}.`);
  });

  it("states the date in an error too", async () => {
    const result = await h.client.callTool({ name: "clari_get_export_job", arguments: { jobId: "ffffffffffffffffffffffff" } });
    expect(result.isError).toBe(true);
    expect(textOf(result).split("\n").at(-1)).toMatch(new RegExp(`^${timeContextLine(expected()).replace(/[.()]/g, "\\$&")}( Forecast tabs known: [\\w, ]+\\.)?$`));
  });

  it("is stated in every tool's result shape (docs/TOOLS.md), once, and no listed output schema constrains it", async () => {
    const { byTool, defs } = resultSchemas(ALL_TOOLS);
    for (const tool of ALL_TOOLS) {
      const shape = byTool.get(tool.name) as { properties: Record<string, unknown>; required: string[] };
      expect(shape.properties.context, tool.name).toEqual({ $ref: "#/$defs/TimeContext" });
      expect(shape.required, tool.name).toContain("context");
    }
    expect(Object.keys(defs.TimeContext!.properties as object)).toEqual(["today", "currentQuarter", "forecastWeek", "forecastTabs"]);
    for (const tool of (await h.client.listTools()).tools) expect(tool.outputSchema, tool.name).toBeUndefined();
  });
});
