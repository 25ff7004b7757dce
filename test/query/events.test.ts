/**
 * Audit events, activities and opportunities in clari_query, checked against numbers computed by
 * hand from what the sandbox serves over HTTP (the export results and the raw API answers).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;
type Out = { rows: unknown[][]; row_count: number };

async function sql(text: string, limit = 500): Promise<Out> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql: text, limit } });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as Out;
}

async function exported(tool: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await h.client.callTool({ name: tool, arguments: args });
  const { jobId, outcome } = result.structuredContent as { jobId: string; outcome: string };
  expect(outcome, textOf(result)).toBe("done");
  return jobId;
}

interface RawAudit {
  items: Array<{ actorId: string; event: string; eventTimestamp: string | number }>;
  actors: Array<{ actorId: string; name: string }>;
}

let auditJob: string;
let audit: RawAudit;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 40, seed: 3 } });
  auditJob = await exported("clari_export_audit_events");
  audit = (await h.clari.getExportResultsJson(auditJob)) as RawAudit;
}, 60_000);
afterAll(() => h.close());

describe("audit_events", () => {
  it("counts events per actor name as the export has them", async () => {
    const names = new Map(audit.actors.map((a) => [a.actorId, a.name]));
    const expected = new Map<string, number>();
    for (const item of audit.items) expected.set(names.get(item.actorId) ?? "", (expected.get(names.get(item.actorId) ?? "") ?? 0) + 1);
    const out = await sql("SELECT coalesce(actor_name, ''), count(*) FROM audit_events GROUP BY 1");
    expect(new Map(out.rows.map(([n, c]) => [n as string, c as number]))).toEqual(expected);
  });

  it("adds the pages read with clari_list_audit_events without counting an event twice", async () => {
    const page = await h.clari.listAuditEvents({ limit: 50 });
    const before = (await sql("SELECT count(*) FROM audit_events")).rows[0]![0] as number;
    const listed = await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 50 } });
    expect(listed.isError).toBeFalsy();
    const after = (await sql("SELECT count(*) FROM audit_events")).rows[0]![0] as number;
    // The page's events are also in the export (same 30 days): nothing new, nothing doubled.
    const key = (i: { actorId: string; event: string; eventTimestamp: string | number }) => `${i.actorId}|${i.event}|${new Date(i.eventTimestamp).getTime()}`;
    const inExport = new Set(audit.items.map(key));
    const extra = new Set(page.items.map((i) => key(i as never)).filter((k) => !inExport.has(k))).size;
    expect(after).toBe(before + extra);
  });
});

describe("activities and opportunities", () => {
  it("activities and their participants as the export has them", async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const jobId = await exported("clari_export_activity", { startDate: day(Date.now() - 30 * 86_400_000), endDate: day(Date.now()) });
    const raw = (await h.clari.getExportResultsJson(jobId)) as { activities: Array<{ activityId: string; participants: unknown[]; accounts: unknown[] }> };
    const out = await sql("SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM activity_accounts)");
    expect(out.rows[0]).toEqual([new Set(raw.activities.map((a) => a.activityId)).size, raw.activities.reduce((s, a) => s + a.accounts.length, 0)]);
    const first = raw.activities[0]!;
    const parts = await sql(`SELECT count(*) FROM activity_participants WHERE activity_id = '${first.activityId}'`);
    expect(parts.rows[0]![0]).toBe(first.participants.length);
  });

  it("opportunities: the latest lookup, amount and score as Clari answered", async () => {
    const ids = h.sandbox.org.opportunities().slice(0, 3).map((o) => o.oppId);
    const looked = await h.client.callTool({ name: "clari_get_opportunities", arguments: { oppIds: ids } });
    expect(looked.isError, textOf(looked)).toBeFalsy();
    const raw = await h.clari.getOpportunities(ids);
    const out = await sql("SELECT opportunity_id, amount, score FROM opportunities");
    out.rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const expected = raw
      .map((o) => [o.oppId, Number(o.fields.find((f) => f.alias === "Amount")!.value), o.crmScore!.score])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(out.rows).toEqual(expected);
    const fields = await sql("SELECT count(*) FROM opportunity_fields");
    expect(fields.rows[0]![0]).toBe(raw.reduce((s, o) => s + o.fields.length, 0));
  });
});
