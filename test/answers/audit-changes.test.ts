/**
 * Audit changes by tab, checked against the sandbox's raw audit answers: clari_query's
 * audit_events (changes apart from views and logins, the tab as a column), the audit export's
 * summary (every event type, changes per tab, the most active by changes only), and the tab and
 * changes-only filters of clari_export_audit_events (from the stored file, queuing nothing) and
 * clari_list_audit_events (applied to the page Clari returned).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { auditPage, exportResults, type RawAudit } from "./raw-data.js";

let h: Harness;
let audit: RawAudit;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 23, jobDurationMs: 50 } });
  const result = await h.client.callTool({ name: "clari_export_audit_events", arguments: { waitSeconds: 30 } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out?.outcome, textOf(result)).toBe("done");
  audit = await exportResults<RawAudit>(h.sandbox, out.jobId);
}, 60_000);
afterAll(() => h.close());

async function ask(sql: string): Promise<Array<Record<string, unknown>>> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { columns: Array<{ name: string }>; rows: unknown[][] };
  return out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]])));
}

describe("audit changes by tab", () => {
  const changesByTab = (items: RawAudit["items"]) => {
    const counts: Record<string, number> = {};
    for (const i of items) {
      const tab = i.eventParameters?.forecastId;
      if (typeof tab === "string" && /^forecast\.(updated|adjusted)$/.test(i.event)) counts[tab] = (counts[tab] ?? 0) + 1;
    }
    return counts;
  };

  it("clari_query counts each tab's changes, never its views", async () => {
    const expected = changesByTab(audit.items);
    expect(Object.keys(expected).length).toBeGreaterThan(1);
    const rows = await ask(`SELECT forecast_id, count(*) AS n FROM audit_events WHERE is_change AND forecast_id IS NOT NULL GROUP BY 1`);
    expect(Object.fromEntries(rows.map((r) => [r.forecast_id, Number(r.n)]))).toEqual(expected);
  });

  it("the audit export's summary names every event type, counts changes per tab and the most active by changes only", async () => {
    const result = await h.client.callTool({ name: "clari_export_audit_events", arguments: { waitSeconds: 30 } });
    const text = textOf(result);
    const types = new Set(audit.items.map((i) => i.event));
    for (const type of types) expect(text).toContain(type);
    for (const [tab, n] of Object.entries(changesByTab(audit.items))) expect(text).toContain(`${tab} ${n}`);
    const summary = (result.structuredContent as { summary: { byActor: Array<{ name: string; count: number }> } }).summary;
    const changesBy = new Map<string, number>();
    for (const i of audit.items) {
      if (i.actorType !== "USER" || /\.(viewed|accessed)$|login|logout/.test(i.event)) continue;
      const name = Object.values(audit.actors).find((a) => a.actorId === i.actorId)!.name;
      changesBy.set(name, (changesBy.get(name) ?? 0) + 1);
    }
    for (const a of summary.byActor) expect(a.count).toBe(changesBy.get(a.name));
    expect(summary.byActor[0]!.count).toBe(Math.max(...changesBy.values()));
  });

  it("the audit export filtered to one tab's changes answers from the stored file, queuing nothing", async () => {
    const jobs = h.sandbox.stats().jobsCreated;
    const result = await h.client.callTool({ name: "clari_export_audit_events", arguments: { waitSeconds: 30, forecastId: "net_bookings", changesOnly: true } });
    const n = changesByTab(audit.items).net_bookings!;
    expect(textOf(result)).toContain(`${n} of ${audit.items.length} audit events are changes about tab net_bookings (filtered here`);
    expect((result.structuredContent as { outcome: string }).outcome).toBe("reused");
    expect(h.sandbox.stats().jobsCreated).toBe(jobs);
  });

  it("clari_list_audit_events filters a page by tab and changes only, and says so", async () => {
    // A fixed end, so the raw page and the tool's page hold the same events while the clock runs on.
    const dateTo = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const page = await auditPage(h.sandbox, 300, { dateTo });
    const expected = page.items.filter((i) => i.eventParameters?.forecastId === "renewals" && /^forecast\.(updated|adjusted)$/.test(i.event));
    expect(expected.length).toBeGreaterThan(0);
    const result = await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 300, dateTo, forecastId: "renewals", changesOnly: true } });
    const out = result.structuredContent as { count: number; pageCount: number; events: Array<{ eventTimestamp: string; event: string }> };
    expect(out.pageCount).toBe(page.items.length);
    const at = (iso: string) => Date.parse(iso);
    expect(out.events.map((e) => [at(e.eventTimestamp), e.event])).toEqual(expected.map((i) => [at(i.eventTimestamp), i.event]));
    expect(textOf(result)).toContain("filtered here");
  });
});
