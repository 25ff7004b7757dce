/**
 * The Forecast Tabs the server knows (Clari cannot list them): from --forecast-tabs, stored exports
 * and the audit log's event parameters, in clari://forecast-tabs and every result's time context. A
 * tab nobody has seen still exports; only Clari's own "no such forecast" answer lists the known ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { API_KEY } from "../helpers/clari.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ flags: ["--forecast-tabs", "pipeline_q,net_bookings"], sandbox: { jobDurationMs: 100 } });
});
afterAll(() => h.close());

type KnownTab = { forecastId: string; seenIn: string[]; exports: number; lastExportedAt?: string };
async function tabsResource(): Promise<KnownTab[]> {
  const read = await h.client.readResource({ uri: "clari://forecast-tabs" });
  return (JSON.parse((read.contents[0] as { text: string }).text) as { tabs: KnownTab[] }).tabs;
}
const contextOf = (result: unknown) => (result as { structuredContent: { context: { forecastTabs?: string[] } } }).structuredContent.context;

describe("known forecast tabs", () => {
  it("start with the setting, in its order, in the resource and the time context", async () => {
    expect(await tabsResource()).toEqual([
      { forecastId: "pipeline_q", seenIn: ["setting"], exports: 0 },
      { forecastId: "net_bookings", seenIn: ["setting"], exports: 0 },
    ]);
    const limits = await h.client.callTool({ name: "clari_get_limits", arguments: {} });
    expect(contextOf(limits).forecastTabs).toEqual(["pipeline_q", "net_bookings"]);
    expect(textOf(limits)).toContain("Forecast tabs known: pipeline_q, net_bookings.");
  });

  it("a tab nobody has seen exports all the same, and is known from then on", async () => {
    const exported = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "renewals", waitSeconds: 30 } });
    expect(exported.isError, textOf(exported)).toBeFalsy();
    expect(contextOf(exported).forecastTabs).toEqual(["renewals", "pipeline_q", "net_bookings"]);
    const renewals = (await tabsResource()).find((t) => t.forecastId === "renewals");
    expect(renewals).toMatchObject({ seenIn: ["export"], exports: 1 });
    expect(Date.parse(renewals!.lastExportedAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("tabs named in the audit log's forecast events are known once a page is read", async () => {
    // Computed from the sandbox's raw audit events, not from the server.
    const raw = h.sandbox.org.auditEvents().map((e) => (e as { eventParameters?: Record<string, unknown> | null }).eventParameters?.forecastId).filter((id): id is string => typeof id === "string");
    expect(new Set(raw)).toEqual(new Set(["net_bookings", "net_arr", "renewals"]));
    const page = await h.client.callTool({ name: "clari_list_audit_events", arguments: { event: "forecast.updated", limit: 200 } });
    expect(page.isError, textOf(page)).toBeFalsy();
    const tabs = await tabsResource();
    expect(tabs.find((t) => t.forecastId === "net_arr")?.seenIn).toEqual(["audit"]);
    expect(tabs.find((t) => t.forecastId === "net_bookings")?.seenIn).toEqual(["setting", "audit"]);
    expect(contextOf(await h.client.callTool({ name: "clari_get_limits", arguments: {} })).forecastTabs).toContain("net_arr");
  });

  it("Clari's own no-such-forecast error lists the known tabs; other errors do not", async () => {
    const unknown = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "deal_owner", waitSeconds: 5 } });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/no_such_forecast_config/);
    expect(textOf(unknown)).toMatch(/Tabs known here: renewals, pipeline_q, net_bookings, net_arr \(clari:\/\/forecast-tabs\)/);
    const badJob = await h.client.callTool({ name: "clari_get_export_job", arguments: { jobId: "ffffffffffffffffffffffff" } });
    expect(badJob.isError).toBe(true);
    expect(textOf(badJob)).not.toMatch(/Tabs known here/);
  });

  it("--forecast-tabs refuses what is no tab id", () => {
    expect(() => loadConfig(["--forecast-tabs", "ok,has space"], { CLARI_API_KEY: API_KEY })).toThrow(/--forecast-tabs: "has space" is not a Forecast Tab id/);
    expect(loadConfig(["--forecast-tabs", " a , b ,a"], { CLARI_API_KEY: API_KEY }).forecastTabs).toEqual(["a", "b"]);
    expect(loadConfig([], { CLARI_API_KEY: API_KEY, CLARI_MCP_FORECAST_TABS: "x.y" }).forecastTabs).toEqual(["x.y"]);
  });
});
