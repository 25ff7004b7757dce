/**
 * Resources through the MCP client: the export list, raw files, row pages to the end of a large
 * export, audit pages to the end, limits, completion, and list_changed when an export lands.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
let listChanged = 0;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 1500, jobDurationMs: 100 } });
  h.client.setNotificationHandler("notifications/resources/list_changed", () => {
    listChanged += 1;
  });
});
afterAll(() => h.close());

const json = (result: { contents: unknown[] }) => JSON.parse(String((result.contents[0] as { text?: string }).text)) as Record<string, unknown>;

async function exportForecast(args: Record<string, unknown>): Promise<string> {
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", ...args } });
  return (result.structuredContent as { jobId: string }).jobId;
}

describe("export resources", () => {
  it("announces a new export, lists it, and serves a small file whole with its mime type", async () => {
    const jobId = await exportForecast({ exportFormat: "CSV", typesToExport: ["quota"], includeHistorical: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(listChanged).toBeGreaterThan(0);
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`clari://exports/${jobId}`);
    const file = await h.client.readResource({ uri: `clari://exports/${jobId}` });
    expect(file.contents[0]!.mimeType).toBe("text/csv");
    expect(String((file.contents[0] as { text: string }).text).split("\n")[0]).toMatch(/^User,Email,CRM User ID,Role,Parent Role/);
    const listing = json(await h.client.readResource({ uri: "clari://exports" }));
    expect((listing.stored as Array<{ jobId: string }>).map((e) => e.jobId)).toContain(jobId);
  });

  it("pages a large export's normalised rows to the end", async () => {
    const jobId = await exportForecast({ includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated"] });
    const file = json(await h.client.readResource({ uri: `clari://exports/${jobId}` }));
    expect(file.firstPage).toBe(`clari://exports/${jobId}/rows/1`);
    let uri: string | undefined = file.firstPage as string;
    let rows = 0;
    let pages = 0;
    let totalRows = 0;
    while (uri) {
      const page = json(await h.client.readResource({ uri }));
      rows += (page.rows as unknown[]).length;
      totalRows = page.totalRows as number;
      pages += 1;
      uri = page.nextUri as string | undefined;
    }
    const expected = h.sandbox.org.forecastEntries("net_bookings", undefined, { includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated"] }).length;
    expect(totalRows).toBe(expected);
    expect(rows).toBe(expected);
    expect(pages).toBe(Math.ceil(expected / 500));
  });

  it("completes jobId and forecastId template variables", async () => {
    const jobId = (await h.client.listResources()).resources.find((r) => r.uri.startsWith("clari://exports/"))!.uri.split("/").pop()!;
    const jobs = await h.client.complete({ ref: { type: "ref/resource", uri: "clari://exports/{jobId}" }, argument: { name: "jobId", value: jobId.slice(0, 4) } });
    expect(jobs.completion.values).toContain(jobId);
    const tabs = await h.client.complete({ ref: { type: "ref/resource", uri: "clari://forecasts/{forecastId}/latest" }, argument: { name: "forecastId", value: "net" } });
    expect(tabs.completion.values).toContain("net_bookings");
    const latest = json(await h.client.readResource({ uri: "clari://forecasts/net_bookings/latest" }));
    expect(latest.summary).toBeDefined();
  });
});

describe("audit and limits resources", () => {
  it("pages audit events to the end through nextUri", async () => {
    // A small org of its own: the large one logs tens of thousands of events (every forecast change).
    const small = await startHarness({ sandbox: { users: 60, jobDurationMs: 100 } });
    try {
      let page = json(await small.client.readResource({ uri: "clari://audit/events" }));
      let count = (page.items as unknown[]).length;
      let pages = 1;
      while (page.nextUri) {
        page = json(await small.client.readResource({ uri: page.nextUri as string }));
        count += (page.items as unknown[]).length;
        pages += 1;
      }
      const inWindow = small.sandbox.org.auditEvents().filter((e) => e.time >= Date.now() - 30 * 86_400_000 && e.time <= Date.now()).length;
      expect(pages).toBeGreaterThan(1);
      expect(Math.abs(count - inWindow)).toBeLessThanOrEqual(1); // an event may cross the 30-day edge mid-test
    } finally {
      await small.close();
    }
  });

  it("refuses a forged audit page token", async () => {
    await expect(h.client.readResource({ uri: "clari://audit/events/page/not-a-token" })).rejects.toThrow(/not one this server issued/);
  });

  it("reads the limits", async () => {
    const limits = json(await h.client.readResource({ uri: "clari://limits" }));
    expect(limits.monthlyQuota).toBe(1000);
  });
});

describe("prompts", () => {
  it("offers the four workflows, each naming the tools to use", async () => {
    const { prompts } = await h.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(["account_engagement", "forecast_call_prep", "forecast_hygiene", "pipeline_changes"]);
    const prep = await h.client.getPrompt({ name: "forecast_call_prep", arguments: { forecastId: "net_bookings", timePeriod: "2026_Q4" } });
    const text = (prep.messages[0]!.content as { text: string }).text;
    expect(text).toMatch(/clari_export_forecast[\s\S]*clari_query[\s\S]*FROM hygiene\('net_bookings', '2026_Q4'\) WHERE NOT updated/);
  });
});
