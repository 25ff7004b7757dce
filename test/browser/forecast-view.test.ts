/**
 * The forecast view (an MCP App) in a real browser: the server on the sandbox exports a forecast, a
 * minimal ext-apps host (scripts/view-host.mjs: AppBridge on a loopback page, tools/call relayed to the
 * server through the SDK client) shows the view in headless Chromium, and the numbers the view draws are
 * checked against the sandbox's raw export, computed by hand: each person's call and quota, their
 * attainment (never rounded up to 100%), the leader's own call beside their team's sum, and the axis
 * ticks in compact money ($3.4M). Also saves docs/img/forecast-view.png.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Frame, Page } from "puppeteer-core";
import { chromiumPath, nextDraw, openView, startViewHost } from "../../scripts/view-host.mjs";
import { exportResults, Forecast, type RawTables, type RawUser } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const SCREENSHOT = fileURLToPath(new URL("../../docs/img/forecast-view.png", import.meta.url));
const hasChromium = chromiumPath() !== undefined;

interface DrawnRow {
  userId: string;
  name: string;
  manager: boolean;
  label: string;
  call: number | null;
  quota: number | null;
  /** The text beside the bar: "$1,234,567 · 94.3%". */
  valueText: string;
}

async function drawnRows(frame: Frame): Promise<DrawnRow[]> {
  return frame.$$eval("svg g.row", (rows) =>
    rows.map((row) => {
      const call = row.querySelector('rect.bar[data-field="Commit"]')?.getAttribute("data-value");
      const quota = row.querySelector('line.quota[data-field="Quota"]')?.getAttribute("data-value");
      return {
        userId: row.getAttribute("data-user-id") ?? "",
        name: row.getAttribute("data-name") ?? "",
        manager: row.getAttribute("data-manager") === "true",
        label: row.querySelector("rect.bar")?.getAttribute("aria-label") ?? "",
        call: call ? Number(call) : null,
        quota: quota ? Number(quota) : null,
        valueText: row.querySelector("text.value")?.textContent ?? "",
      };
    }),
  );
}

const usd = (n: number): string => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 }).format(n);

function expectRowsMatch(rows: DrawnRow[], people: RawUser[], raw: Forecast): void {
  expect(rows.map((r) => r.userId).sort()).toEqual(people.map((u) => u.userId).sort());
  for (const row of rows) {
    const commit = raw.value(row.userId, "Commit");
    const quota = raw.value(row.userId, "Quota");
    expect(commit, row.name).toBeDefined();
    expect(row.call!).toBeCloseTo(commit!, 2);
    expect(row.label).toBe(`Commit ${usd(commit!)}`);
    if (quota !== undefined) expect(row.quota!).toBeCloseTo(quota, 2);
    expect(row.manager).toBe(raw.reports(raw.user((u) => u.userId === row.userId)).length > 0);
    if (quota) {
      // Attainment to one decimal (two, cut, when one would round a miss up to 100%).
      const shown = Number(/ · (-?[\d.]+)%$/.exec(row.valueText)?.[1]);
      const actual = (commit! / quota) * 100;
      expect(Math.abs(shown - actual), row.valueText).toBeLessThanOrEqual(0.05);
      if (actual < 100) expect(shown, row.valueText).toBeLessThan(100);
    }
  }
}

/** The leader's own call beside the sum of their direct reports' calls, as drawn, against the raw export. */
async function expectOwnBesideTeam(frame: Frame, leader: RawUser, raw: Forecast): Promise<void> {
  const drawn = await frame.$eval("p.own", (p) => ({ own: Number(p.getAttribute("data-own")), sum: Number(p.getAttribute("data-team-sum")), text: p.textContent ?? "" }));
  const own = raw.value(leader.userId, "Commit")!;
  const sum = raw.reports(leader).reduce((s, u) => s + (raw.value(u.userId, "Commit") ?? 0), 0);
  expect(drawn.own).toBeCloseTo(own, 2);
  expect(drawn.sum).toBeCloseTo(sum, 2);
  expect(drawn.text).toContain(`own Commit ${usd(own)}`);
  expect(drawn.text).toContain(`the team's sum ${usd(sum)}`);
  // A believable leader: their own call within 85-110% of what the team calls.
  expect(own / sum).toBeGreaterThanOrEqual(0.85);
  expect(own / sum).toBeLessThanOrEqual(1.1);
}

/** Compact money as a person reads an axis, written here by hand: $3.4M, $850K, $0. */
function compact(n: number): string {
  const units: Array<[number, string]> = [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `$${Number((n / size).toFixed(1))}${unit}`;
  return `$${Math.round(n)}`;
}

describe.skipIf(!hasChromium)("the forecast view in headless Chromium", () => {
  let h: Harness;
  let raw: Forecast;
  let host: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let frame: Frame;
  let requests: string[];
  let problems: string[];
  const toolArguments = { forecastId: "net_bookings", includeHistorical: true, waitSeconds: 30 };

  beforeAll(async () => {
    h = await startHarness();
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: toolArguments });
    expect(result.isError).toBeFalsy();
    const jobId = (result.structuredContent as { jobId: string }).jobId;
    raw = new Forecast(await exportResults<RawTables>(h.sandbox, jobId));
    host = await startViewHost({ client: h.client, toolArguments, toolResult: result });
    ({ browser, page, frame, requests, problems } = await openView(host.url));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await h?.close();
  });

  it("is served as an MCP App resource under the CSP it declares", async () => {
    expect(await page.evaluate("window.__mimeType")).toBe("text/html;profile=mcp-app");
    expect(await page.evaluate("window.__policy")).toContain("connect-src 'none'");
  });

  it("draws each of the top leader's reports: Commit and quota equal to the raw export", async () => {
    const top = raw.user((u) => !u.parentHierarchyId || !raw.raw.users.some((p) => p.hierarchyId === u.parentHierarchyId));
    expect(await frame.$eval("h1", (e) => e.textContent)).toBe(`${top.name}'s team`);
    expectRowsMatch(await drawnRows(frame), raw.reports(top), raw);
    // The week-over-week line of the top leader: one point per week, each their own Commit that week.
    const dots = await frame.$$eval('circle.dot[data-series="Commit"]', (cs) => cs.map((c) => [Number(c.getAttribute("data-x")), Number(c.getAttribute("data-value"))]));
    expect(dots.length).toBe(raw.frames.length);
    raw.frames.forEach((f, i) => expect(dots[i]![1]).toBeCloseTo(raw.value(top.userId, "Commit", f)!, 2));
    await expectOwnBesideTeam(frame, top, raw);
    // Axis ticks in compact money, the top one just above the largest number the line shows.
    const ticks = await frame.$$eval("text.tick", (ts) => ts.map((t) => ({ value: Number(t.getAttribute("data-value")), label: t.textContent ?? "" })));
    expect(ticks.length).toBe(3);
    for (const t of ticks) expect(t.label).toBe(compact(t.value));
    const largest = Math.max(...raw.frames.flatMap((f) => [raw.value(top.userId, "Commit", f)!, raw.value(top.userId, "Quota", f) ?? 0]));
    const topTick = Math.max(...ticks.map((t) => t.value));
    expect(topTick).toBeGreaterThanOrEqual(largest);
    expect(topTick).toBeLessThanOrEqual(largest * 2.5);
    expect(ticks.some((t) => /,/.test(t.label))).toBe(false);
  });

  it("a click on a manager drills down to their reps through clari_query", async () => {
    const rows = await drawnRows(frame);
    const manager = rows.find((r) => r.manager);
    expect(manager, "a manager among the top leader's reports").toBeDefined();
    const callsBefore = (await page.evaluate("window.__calls.length")) as number;
    await nextDraw(frame, () => frame.click(`g.row[data-user-id="${manager!.userId}"]`));
    expect(await frame.$eval("h1", (e) => e.textContent)).toBe(`${manager!.name}'s team`);
    const calls = (await page.evaluate("window.__calls")) as Array<{ name: string }>;
    expect(calls.slice(callsBefore).every((c) => c.name === "clari_query")).toBe(true);
    expect(calls.length).toBeGreaterThan(callsBefore);
    const user = raw.user((u) => u.userId === manager!.userId);
    expectRowsMatch(await drawnRows(frame), raw.reports(user), raw);
    await expectOwnBesideTeam(frame, user, raw);
    await page.mouse.move(0, 0);
    await (await page.$("iframe#view"))!.screenshot({ path: SCREENSHOT });
  });

  it("has a table of the same numbers, follows the host's dark theme, and asks nothing of the network", async () => {
    expect(await frame.$$eval("details table tbody tr", (trs) => trs.length)).toBe((await drawnRows(frame)).length);
    await page.evaluate('window.__setTheme("dark")');
    await frame.waitForFunction('document.documentElement.getAttribute("data-theme") === "dark"');
    const origin = new URL(host.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("about:"))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
