/**
 * Twenty everyday RevOps questions, each answered with one clari_query call once the data is
 * stored (forecast across two tabs and two quarters, audit, activity, opportunities, mixes), each
 * result under 8 KB, each checked against numbers computed by hand from the sandbox's raw HTTP
 * answers (raw-data.ts), never through the server's readers or engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { exportResults, fieldValue, Forecast, opportunities, type RawActivity, type RawAudit, type RawOpportunity, type RawTables } from "./raw-data.js";

let h: Harness;
const ids: Record<string, string> = {};
let bookings: Forecast;
let arr: Forecast;
let lastQuarter: Forecast;
let audit: RawAudit;
let activities: RawActivity[];
let opps: RawOpportunity[];

const ALL_TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];
const DAY = 86_400_000;

function previousQuarter(now = new Date()): string {
  const q = Math.floor(now.getUTCMonth() / 3) + 1;
  return q === 1 ? `${now.getUTCFullYear() - 1}_Q4` : `${now.getUTCFullYear()}_Q${q - 1}`;
}

async function store(name: string, tool: string, args: Record<string, unknown>): Promise<string> {
  const result = await h.client.callTool({ name: tool, arguments: { waitSeconds: 30, ...args } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  expect(out?.outcome, textOf(result)).toBe("done");
  ids[name] = out.jobId;
  return out.jobId;
}

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 11, jobDurationMs: 100 } });
  const now = Date.now();
  bookings = new Forecast(await exportResults<RawTables>(h.sandbox, await store("bookings", "clari_export_forecast", { forecastId: "net_bookings", includeHistorical: true, typesToExport: ALL_TYPES })));
  arr = new Forecast(await exportResults<RawTables>(h.sandbox, await store("arr", "clari_export_forecast", { forecastId: "net_arr", typesToExport: ["forecast", "quota"] })));
  lastQuarter = new Forecast(
    await exportResults<RawTables>(h.sandbox, await store("lastQuarter", "clari_export_forecast", { forecastId: "net_bookings", timePeriod: previousQuarter(), includeHistorical: true, typesToExport: ["forecast", "quota"] })),
  );
  audit = await exportResults<RawAudit>(h.sandbox, await store("audit", "clari_export_audit_events", {}));
  const activityJob = await store("activity", "clari_export_activity", { startDate: new Date(now - 30 * DAY).toISOString(), endDate: new Date(now).toISOString() });
  activities = (await exportResults<{ activities: RawActivity[] }>(h.sandbox, activityJob)).activities;
  // Reads that cost no quota, kept for questions too.
  expect((await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 100 } })).isError).toBeFalsy();
  const oppIds = [...new Set(activities.flatMap((a) => a.opportunities.map((o) => o.opportunityId)))].slice(0, 100);
  expect(oppIds.length).toBeGreaterThan(5);
  expect((await h.client.callTool({ name: "clari_get_opportunities", arguments: { oppIds } })).isError).toBeFalsy();
  opps = await opportunities(h.sandbox, oppIds);
}, 120_000);
afterAll(() => h.close());

interface Answer {
  rows: Array<Record<string, unknown>>;
  bytes: number;
}

/** One clari_query call: the answer's rows as objects, and its size (text and structured content). */
async function ask(sql: string, limit = 50): Promise<Answer> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { columns: Array<{ name: string }>; rows: unknown[][]; row_count: number; truncated: boolean };
  const bytes = Buffer.byteLength(textOf(result)) + Buffer.byteLength(JSON.stringify(out));
  expect(bytes, "answer size").toBeLessThan(8192);
  const rows = out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]])));
  return { rows, bytes };
}

const close = (a: unknown, b: number | undefined) => expect(Number(a)).toBeCloseTo(b ?? NaN, 2);
const sortedNames = (names: unknown[]) => [...names].map(String).sort();

describe("twenty questions, one call each", () => {
  it("1. What is West's commit against quota this quarter?", async () => {
    const west = bookings.user((u) => u.hierarchyName === "VP Sales - West");
    const { rows } = await ask(`
      select p.name, c.value as commit, q.value as quota, c.value / q.value as ratio
      from forecast c join forecast q on q.export_id = c.export_id and q.user_id = c.user_id and q.week = c.week
      join people p on p.export_id = c.export_id and p.user_id = c.user_id
      where c.export_id = '${ids.bookings}' and c.field = 'Commit' and q.field = 'Quota' and c.is_latest_week and p.role = 'VP Sales - West'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toBe(west.name);
    close(rows[0]!.commit, bookings.value(west.userId, "Commit"));
    close(rows[0]!.quota, bookings.value(west.userId, "Quota"));
  });

  it("2. Who hasn't updated their Commit this week?", async () => {
    const expected = bookings.raw.users.filter((u) => bookings.entry(u.userId, "Commit")?.isUpdated === false).map((u) => u.name);
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = await ask(`
      select p.name from forecast f join people p using (export_id, user_id)
      where f.export_id = '${ids.bookings}' and f.field = 'Commit' and f.is_latest_week and f.updated = false order by p.name`, 500);
    expect(sortedNames(rows.map((r) => r.name))).toEqual(sortedNames(expected));
  });

  it("3. Commit against quota for every manager, latest week", async () => {
    const managers = bookings.managers();
    const { rows } = await ask(`
      select p.name, c.value as commit, q.value as quota from people p
      join forecast c on c.export_id = p.export_id and c.user_id = p.user_id and c.field = 'Commit' and c.is_latest_week
      join forecast q on q.export_id = p.export_id and q.user_id = p.user_id and q.field = 'Quota' and q.is_latest_week
      where p.export_id = '${ids.bookings}' and not p.is_rep order by p.name`, 200);
    expect(rows).toHaveLength(managers.length);
    for (const m of managers) {
      const row = rows.find((r) => r.name === m.name)!;
      close(row.commit, bookings.value(m.userId, "Commit"));
      close(row.quota, bookings.value(m.userId, "Quota"));
    }
  });

  it("4. What do West's reps call in total (a VP's roll-up, reps only, no levels added)?", async () => {
    const west = bookings.user((u) => u.hierarchyName === "VP Sales - West");
    const reps = bookings.team(west).filter((u) => bookings.reports(u).length === 0);
    const expected = reps.reduce((sum, u) => sum + (bookings.value(u.userId, "Commit") ?? 0), 0);
    const { rows } = await ask(`
      select sum(f.value) as reps_commit, count(*) as reps from reports_to r
      join people p on p.export_id = r.export_id and p.user_id = r.user_id and p.is_rep
      join forecast f on f.export_id = r.export_id and f.user_id = r.user_id and f.field = 'Commit' and f.is_latest_week
      join people l on l.export_id = r.export_id and l.user_id = r.leader_user_id
      where r.export_id = '${ids.bookings}' and l.role = 'VP Sales - West'`);
    expect(Number(rows[0]!.reps)).toBe(reps.length);
    close(rows[0]!.reps_commit, expected);
  });

  it("5. Best Case minus Commit for each VP", async () => {
    const vps = bookings.raw.users.filter((u) => bookings.level(u) === 1);
    const { rows } = await ask(`
      select p.name, b.value - c.value as upside from people p
      join forecast b on b.export_id = p.export_id and b.user_id = p.user_id and b.field = 'Best Case' and b.is_latest_week
      join forecast c on c.export_id = p.export_id and c.user_id = p.user_id and c.field = 'Commit' and c.is_latest_week
      where p.export_id = '${ids.bookings}' and p.level = 1`);
    expect(rows).toHaveLength(vps.length);
    for (const vp of vps) close(rows.find((r) => r.name === vp.name)!.upside, (bookings.value(vp.userId, "Best Case") ?? 0) - (bookings.value(vp.userId, "Commit") ?? 0));
  });

  it("6. How has the CRO's Commit moved week by week this quarter?", async () => {
    const cro = bookings.user((u) => !u.parentHierarchyId);
    const { rows } = await ask(`
      select f.week_start, f.value from forecast f join people p using (export_id, user_id)
      where f.export_id = '${ids.bookings}' and f.field = 'Commit' and p.level = 0 order by f.week_start`);
    const expected = bookings.frames.filter((fr) => bookings.value(cro.userId, "Commit", fr) !== undefined);
    expect(rows.map((r) => String(r.week_start).slice(0, 10))).toEqual(expected.map((fr) => bookings.startOf(fr)));
    rows.forEach((r, i) => close(r.value, bookings.value(cro.userId, "Commit", expected[i])));
  });

  it("7. Whose Commit moved most since the first week of the quarter?", async () => {
    const first = bookings.frames[0]!;
    const moves = bookings.raw.users
      .map((u) => ({ name: u.name, change: (bookings.value(u.userId, "Commit") ?? 0) - (bookings.value(u.userId, "Commit", first) ?? 0) }))
      .sort((a, b) => Math.abs(b.change) - Math.abs(a.change));
    const { rows } = await ask(`
      with c as (select user_id, week_start, value from forecast where export_id = '${ids.bookings}' and field = 'Commit')
      select p.name, l.value - f.value as change from c l join c f on f.user_id = l.user_id
      join people p on p.export_id = '${ids.bookings}' and p.user_id = l.user_id
      where l.week_start = (select max(week_start) from c) and f.week_start = (select min(week_start) from c)
      order by abs(l.value - f.value) desc limit 3`);
    expect(rows.map((r) => r.name)).toEqual(moves.slice(0, 3).map((m) => m.name));
    rows.forEach((r, i) => close(r.change, moves[i]!.change));
  });

  it("8. The CRO's Commit on two tabs: net_bookings and net_arr", async () => {
    const { rows } = await ask(`
      select e.forecast_id, f.value from forecast f join exports e using (export_id) join people p using (export_id, user_id)
      where e.export_id in ('${ids.bookings}', '${ids.arr}') and f.field = 'Commit' and f.is_latest_week and p.level = 0 order by e.forecast_id`);
    const croOf = (f: Forecast) => f.user((u) => !u.parentHierarchyId).userId;
    expect(rows.map((r) => r.forecast_id)).toEqual(["net_arr", "net_bookings"]);
    close(rows[0]!.value, arr.value(croOf(arr), "Commit"));
    close(rows[1]!.value, bookings.value(croOf(bookings), "Commit"));
  });

  it("9. The CRO's final Commit last quarter against this quarter's latest", async () => {
    const { rows } = await ask(`
      select e.time_period, f.value from forecast f join exports e using (export_id) join people p using (export_id, user_id)
      where e.export_id in ('${ids.bookings}', '${ids.lastQuarter}') and f.field = 'Commit' and f.is_latest_week and p.level = 0 order by e.time_period`);
    expect(rows.map((r) => r.time_period)).toEqual([previousQuarter(), bookings.raw.entries[0]!.timePeriodId].sort());
    const cro = (f: Forecast) => f.user((u) => !u.parentHierarchyId).userId;
    close(rows[0]!.value, lastQuarter.value(cro(lastQuarter), "Commit"));
    close(rows[1]!.value, bookings.value(cro(bookings), "Commit"));
  });

  it("10. Whose Commit did a manager adjust in the latest week with adjustments, and by how much?", async () => {
    // Managers adjust on Monday mornings: early on a Monday the current week has none yet.
    const frame = [...bookings.frames].reverse().find((fr) => bookings.raw.users.some((u) => bookings.entry(u.userId, "Commit", fr)?.adjustmentValue !== undefined));
    expect(frame).toBeDefined();
    const adjusted = bookings.raw.users.filter((u) => bookings.entry(u.userId, "Commit", frame)?.adjustmentValue !== undefined);
    const { rows } = await ask(`
      with w as (select max(week_start) as week_start from forecast where export_id = '${ids.bookings}' and field = 'Commit' and adjustment is not null)
      select p.name, f.adjustment, f.adjustment - f.value as delta, f.week_start from forecast f join people p using (export_id, user_id) join w using (week_start)
      where f.export_id = '${ids.bookings}' and f.field = 'Commit' and f.adjustment is not null`, 500);
    expect(String(rows[0]!.week_start).slice(0, 10)).toBe(bookings.startOf(frame!));
    expect(sortedNames(rows.map((r) => r.name))).toEqual(sortedNames(adjusted.map((u) => u.name)));
    for (const u of adjusted) close(rows.find((r) => r.name === u.name)!.adjustment, bookings.entry(u.userId, "Commit", frame)!.adjustmentValue);
  });

  it("11. Who did the most in Clari over the last 7 days (audit)?", async () => {
    const since = Date.now() - 7 * DAY;
    const counts = new Map<string, number>();
    for (const item of audit.items) {
      if (Date.parse(item.eventTimestamp) < since) continue;
      const name = Object.values(audit.actors).find((a) => a.actorId === item.actorId)?.name ?? item.actorId;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(0);
    const { rows } = await ask(`
      select actor_name, count(*) as events from audit_events
      where event_time >= now() - interval 7 days group by actor_name order by events desc, actor_name limit 200`, 200);
    expect(Object.fromEntries(rows.map((r) => [r.actor_name, Number(r.events)]))).toEqual(Object.fromEntries(counts));
  });

  it("12. Which audit events are most common (pages read and exports together, counted once)?", async () => {
    const counts = new Map<string, number>();
    for (const item of audit.items) counts.set(item.event, (counts.get(item.event) ?? 0) + 1);
    const { rows } = await ask(`select event, count(*) as n from audit_events group by event order by n desc, event limit 100`, 100);
    expect(Object.fromEntries(rows.map((r) => [r.event, Number(r.n)]))).toEqual(Object.fromEntries(counts));
  });

  it("13. How many audit events were made while impersonating someone?", async () => {
    const expected = audit.items.filter((i) => i.impersonatingActorId).length;
    expect(expected).toBeGreaterThan(0);
    const { rows } = await ask(`select count(*) as n from audit_events where impersonating_actor_id is not null`);
    expect(Number(rows[0]!.n)).toBe(expected);
  });

  it("14. Which accounts had the most meetings in the last 30 days?", async () => {
    const counts = new Map<string, number>();
    for (const a of activities) if (a.activityType === "MEETING") for (const acc of a.accounts) counts.set(acc.accountName, (counts.get(acc.accountName) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    expect(top.length).toBeGreaterThan(0);
    const { rows } = await ask(`
      select aa.account_name, count(*) as meetings from activities a join activity_accounts aa using (activity_id)
      where a.activity_type = 'MEETING' group by aa.account_name order by meetings desc, aa.account_name limit 5`);
    expect(rows.map((r) => [r.account_name, Number(r.meetings)])).toEqual(top);
  });

  it("15. Which opportunities involved the most outside people?", async () => {
    const people = new Map<string, Set<string>>();
    for (const a of activities) for (const o of a.opportunities) for (const p of a.participants) if (!p.isInternal) (people.get(o.opportunityName) ?? people.set(o.opportunityName, new Set()).get(o.opportunityName)!).add(p.email);
    const top = [...people.entries()].map(([n, s]) => [n, s.size] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    const { rows } = await ask(`
      select o.opportunity_name, count(distinct p.email) as outside from activity_opportunities o join activity_participants p using (activity_id)
      where not p.is_internal group by o.opportunity_name order by outside desc, o.opportunity_name limit 5`);
    expect(rows.map((r) => [r.opportunity_name, Number(r.outside)])).toEqual(top);
  });

  it("16. The five lowest-scored deals with activity in the last 30 days", async () => {
    const active = new Set(activities.flatMap((a) => a.opportunities.map((o) => o.opportunityId)));
    const expected = opps
      .filter((o) => active.has(o.id) && typeof o.crmScore?.score === "number")
      .sort((a, b) => a.crmScore!.score! - b.crmScore!.score! || a.id.localeCompare(b.id))
      .slice(0, 5);
    expect(expected).toHaveLength(5);
    const { rows } = await ask(`
      select o.opportunity_id, o.score, o.score_message from opportunities o
      where o.opportunity_id in (select opportunity_id from activity_opportunities) and o.score is not null
      order by o.score, o.opportunity_id limit 5`);
    expect(rows.map((r) => r.opportunity_id)).toEqual(expected.map((o) => o.id));
    expect(rows.map((r) => Number(r.score))).toEqual(expected.map((o) => o.crmScore!.score));
  });

  it("17. Open pipeline by stage among the deals looked up", async () => {
    const byStage = new Map<string, number>();
    for (const o of opps) {
      const stage = String(fieldValue(o, "Stage"));
      if (/^closed/i.test(stage)) continue;
      byStage.set(stage, (byStage.get(stage) ?? 0) + Number(fieldValue(o, "Amount") ?? 0));
    }
    const { rows } = await ask(`select stage, sum(amount) as amount from opportunities where stage not ilike 'closed%' group by stage order by stage`);
    expect(rows.map((r) => r.stage)).toEqual([...byStage.keys()].sort());
    for (const r of rows) close(r.amount, byStage.get(String(r.stage)));
  });

  it("18. What has this server stored, by kind?", async () => {
    const { rows } = await ask(`select kind, count(*) as n from exports group by kind order by kind`);
    expect(rows.map((r) => [r.kind, Number(r.n)])).toEqual([
      ["activity", 1],
      ["audit", 1],
      ["forecast", 3],
    ]);
  });

  it("19. Reps who haven't updated their Commit, with how many activities they took part in", async () => {
    const reps = bookings.reps().filter((u) => bookings.entry(u.userId, "Commit")?.isUpdated === false);
    expect(reps.length).toBeGreaterThan(0);
    const expected = reps.map((u) => [u.name, activities.filter((a) => a.participants.some((p) => p.email.toLowerCase() === u.email.toLowerCase())).length] as const);
    const { rows } = await ask(`
      select p.name, (select count(distinct ap.activity_id) from activity_participants ap where lower(ap.email) = lower(p.email)) as activities
      from forecast f join people p using (export_id, user_id)
      where f.export_id = '${ids.bookings}' and f.field = 'Commit' and f.is_latest_week and f.updated = false and p.is_rep order by p.name`, 500);
    expect(rows.map((r) => [r.name, Number(r.activities)])).toEqual([...expected].sort((a, b) => a[0].localeCompare(b[0])));
  });

  it("20. Audit events by the hierarchy level of whoever made them", async () => {
    const levelByEmail = new Map(bookings.raw.users.map((u) => [u.email.toLowerCase(), bookings.level(u)]));
    const counts = new Map<number, number>();
    for (const item of audit.items) {
      const email = Object.values(audit.actors).find((a) => a.actorId === item.actorId)?.email?.toLowerCase();
      const level = email === undefined ? undefined : levelByEmail.get(email);
      if (level !== undefined) counts.set(level, (counts.get(level) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(1);
    const { rows } = await ask(`
      select p.level, count(*) as events from audit_events a join people p on lower(p.email) = lower(a.actor_email) and p.export_id = '${ids.bookings}'
      group by p.level order by p.level`);
    expect(rows.map((r) => [Number(r.level), Number(r.events)])).toEqual([...counts.entries()].sort((a, b) => a[0] - b[0]));
  });

  it("spent one export per stored dataset, no more", () => {
    expect(h.sandbox.stats().jobsCreated).toBe(5);
  });
});
