/**
 * A rehearsal of the blind run: fourteen everyday questions asked of a fresh server the way an
 * assistant that read only the docs would, in one scripted sequence. The budget is the issue's:
 * at most 20 tool calls after discovery, under 60 KB of results in all, no export the questions
 * did not need. Each answer's headline number is checked against the sandbox's raw HTTP data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { midWeek } from "./clock.js";
import { exportResults, forecastRead, Forecast, type RawActivity, type RawAudit, type RawTables } from "./raw-data.js";

const DAY = 86_400_000;
const clock = midWeek();

let h: Harness;
let calls = 0;
let bytes = 0;

/** One tool call as a model makes it; counted, and its whole result (text and structured) weighed. */
async function call(name: string, args: Record<string, unknown>): Promise<{ text: string; structured: Record<string, unknown> }> {
  calls++;
  const result = await h.client.callTool({ name, arguments: args });
  expect(result.isError, `${name} ${JSON.stringify(args)}\n${textOf(result)}`).toBeFalsy();
  const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
  bytes += Buffer.byteLength(textOf(result)) + Buffer.byteLength(JSON.stringify(structured));
  return { text: textOf(result), structured };
}

async function ask(sql: string): Promise<Array<Record<string, unknown>>> {
  const { structured } = await call("clari_query", { sql });
  const out = structured as { columns: Array<{ name: string }>; rows: unknown[][]; warnings?: string[] };
  expect(out.warnings ?? [], sql).not.toContainEqual(expect.stringMatching(/more than one (tab|period)/));
  return out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]])));
}

const close = (a: unknown, b: number | undefined) => expect(Number(a)).toBeCloseTo(b ?? NaN, 2);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let bookings: Forecast;
let read: Forecast;
let audit: RawAudit;
let activities: RawActivity[];
let period: string;

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 31, jobDurationMs: 50, now: clock } });
  // Discovery, not counted: the catalogue and the schema a model reads first.
  await h.client.listTools();
  await h.client.readResource({ uri: "clari://schema" });
}, 60_000);
afterAll(() => h.close());

describe("fourteen questions in one session", () => {
  it("answers each from the raw data's numbers, in at most 20 calls and under 60 KB", async () => {
    const now = clock();
    // The data: one forecast export (its defaults serve every forecast question), one read for
    // CRM totals, one audit export, one activity export, the deals those activities touched.
    const exported = await call("clari_export_forecast", { forecastId: "net_bookings", waitSeconds: 30 });
    expect(exported.structured.outcome).toBe("done");
    bookings = new Forecast(await exportResults<RawTables>(h.sandbox, String(exported.structured.jobId)));
    period = bookings.raw.entries[0]!.timePeriodId;
    await call("clari_get_forecast", { forecastId: "net_bookings" });
    read = new Forecast(await forecastRead(h.sandbox, "net_bookings"));
    const auditJob = await call("clari_export_audit_events", { waitSeconds: 30 });
    audit = await exportResults<RawAudit>(h.sandbox, String(auditJob.structured.jobId));
    const activityJob = await call("clari_export_activity", { startDate: `${day(now - 30 * DAY)}T00:00:00Z`, endDate: `${day(now + DAY)}T00:00:00Z`, waitSeconds: 30 });
    activities = (await exportResults<{ activities: RawActivity[] }>(h.sandbox, String(activityJob.structured.jobId))).activities;
    await call("clari_get_opportunities", { fromActivities: { since: day(now - 30 * DAY) } });

    // 1. West's commit against quota this quarter.
    const west = bookings.user((u) => u.hierarchyName === "VP Sales - West");
    const q1 = await ask(`SELECT name, value, quota, attainment FROM attainment('net_bookings') WHERE role = 'VP Sales - West'`);
    close(q1[0]!.value, bookings.value(west.userId, "Commit"));
    close(q1[0]!.quota, bookings.value(west.userId, "Quota"));

    // 2. Who hasn't updated their call this week.
    const stale = bookings.raw.users.filter((u) => bookings.entry(u.userId, "Commit")?.isUpdated === false).map((u) => u.name).sort();
    const q2 = await ask(`SELECT name FROM hygiene('net_bookings') WHERE NOT updated ORDER BY name`);
    expect(q2.map((r) => String(r.name))).toEqual(stale);

    // 3. Each VP's upside (Best Case - Commit).
    const vps = bookings.raw.users.filter((u) => u.hierarchyName.startsWith("VP Sales"));
    const q3 = await ask(`SELECT user_id, upside FROM upside('net_bookings') WHERE role LIKE 'VP Sales%'`);
    expect(q3).toHaveLength(vps.length);
    for (const vp of vps) close(q3.find((r) => r.user_id === vp.userId)!.upside, (bookings.value(vp.userId, "Best Case") ?? 0) - (bookings.value(vp.userId, "Commit") ?? 0));

    // 4. Gap to quota of every manager.
    const managers = bookings.managers();
    const q4 = await ask(`SELECT user_id, gap_to_quota FROM gap_to_quota('net_bookings') WHERE NOT is_rep`);
    for (const m of managers) close(q4.find((r) => r.user_id === m.userId)!.gap_to_quota, (bookings.value(m.userId, "Quota") ?? 0) - (bookings.value(m.userId, "Commit") ?? 0));

    // 5. Coverage of the remaining quota per rep.
    const q5 = await ask(`SELECT user_id, remaining_quota FROM remaining_coverage('net_bookings') WHERE is_rep`);
    for (const rep of read.reps()) close(q5.find((r) => r.user_id === rep.userId)!.remaining_quota, (read.entry(rep.userId, "Quota")?.quotaValue ?? 0) - (read.entry(rep.userId, "Pipeline")?.closedTotal ?? 0));

    // 6. Leaders' haircut on Commit.
    const q6 = await ask(`SELECT user_id, own_call FROM haircut('net_bookings') WHERE field = 'Commit'`);
    expect(q6.length).toBeGreaterThan(0);
    for (const r of q6) close(r.own_call, bookings.value(String(r.user_id), "Commit"));

    // 7. Biggest Commit movers since last week.
    const q7 = await ask(`SELECT user_id, change FROM movement('net_bookings') WHERE field = 'Commit' ORDER BY abs(change) DESC, user_id LIMIT 5`);
    expect(q7).toHaveLength(5);

    // 8. Adjustments this week, with who made them.
    const q8 = await ask(`SELECT name, field, delta, adjusted_by_name FROM adjustments('net_bookings') ORDER BY abs(delta) DESC LIMIT 10`);
    for (const r of q8) expect(r.adjusted_by_name).toBeTruthy();

    // 9. Changes per tab in the audit log (never views).
    const changes: Record<string, number> = {};
    for (const item of audit.items) {
      const tab = item.eventParameters?.forecastId;
      if (typeof tab === "string" && /^forecast\.(updated|adjusted)$/.test(item.event)) changes[tab] = (changes[tab] ?? 0) + 1;
    }
    const q9 = await ask(`SELECT forecast_id, count(*) AS changes FROM audit_events WHERE is_change AND forecast_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC`);
    expect(Object.fromEntries(q9.map((r) => [r.forecast_id, Number(r.changes)]))).toEqual(changes);

    // 10. Most active people by changes.
    const byActor = new Map<string, number>();
    // The documented rule (clari://schema): by a user, not a login or logout, not a view.
    const isChange = (item: RawAudit["items"][number]) =>
      !["SYSTEM", "JOB"].includes(item.actorType ?? "USER") && !/(^|\.)(login|logout)(\.|$|_)/i.test(item.event) && !/\.(viewed|accessed|opened|searched|downloaded|read|listed)$/.test(item.event);
    for (const item of audit.items) if (isChange(item)) byActor.set(item.actorId, (byActor.get(item.actorId) ?? 0) + 1);
    const q10 = await ask(`SELECT actor_id, count(*) AS changes FROM audit_events WHERE is_change GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`);
    expect(q10.length).toBeGreaterThan(0);
    for (const r of q10) expect(Number(r.changes)).toBe(byActor.get(String(r.actor_id)));

    // 11. Accounts with the most meetings in 30 days.
    const meetings = new Map<string, number>();
    for (const a of activities) if (a.activityType === "MEETING") for (const acc of a.accounts) meetings.set(acc.accountName, (meetings.get(acc.accountName) ?? 0) + 1);
    const top = [...meetings.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    const q11 = await ask(`SELECT aa.account_name, count(*) AS meetings FROM activities a JOIN activity_accounts aa USING (activity_id) WHERE a.activity_type = 'MEETING' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`);
    expect(q11.map((r) => [r.account_name, Number(r.meetings)])).toEqual(top);

    // 12. The riskiest deals touched by activity.
    const q12 = await ask(`SELECT opportunity_id, score FROM opportunities WHERE score IS NOT NULL ORDER BY score, opportunity_id LIMIT 5`);
    expect(q12).toHaveLength(5);

    // 13. Share of reps who updated in the hygiene week.
    const reps = bookings.reps();
    const updated = reps.filter((r) => bookings.entry(r.userId, "Commit")?.isUpdated === true).length;
    const q13 = await ask(`SELECT avg(CASE WHEN updated THEN 1 ELSE 0 END) AS share FROM hygiene('net_bookings') WHERE is_rep`);
    close(q13[0]!.share, updated / reps.length);

    // 14. Pipeline coverage of each rep.
    const q14 = await ask(`SELECT user_id, pipeline_coverage FROM coverage('net_bookings') WHERE is_rep`);
    for (const rep of reps) {
      const quota = bookings.value(rep.userId, "Quota");
      if (quota) close(q14.find((r) => r.user_id === rep.userId)!.pipeline_coverage, (bookings.value(rep.userId, "Pipeline") ?? 0) / quota);
    }

    expect(calls, "tool calls after discovery").toBeLessThanOrEqual(20);
    expect(bytes, "bytes of results").toBeLessThan(60_000);
    // Three exports, the three datasets asked about; nothing queued twice.
    expect(h.sandbox.stats().jobsCreated).toBe(3);
    console.log(`rehearsal: ${calls} calls, ${bytes} bytes of results, period ${period}`);
  }, 120_000);
});
