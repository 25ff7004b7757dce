/**
 * The sandbox's data does not contradict itself. Every check reads the sandbox only over HTTP, as
 * a client would: forecast exports (includeHistorical, every export type, each quarter the audit
 * window touches), the audit export, the activity export and the opportunities the activities
 * reference. Nothing here calls the sandbox's own data helpers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { type Res, KEY, T0, call, get, post } from "./helpers.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const TABS = ["net_bookings", "net_arr", "renewals"];
const TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY;

/** The quarter of ms and the one before it, as timePeriod ids. */
function quartersAround(ms: number): string[] {
  const d = new Date(ms);
  const i = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);
  return [i - 1, i].map((k) => `${Math.floor(k / 4)}_Q${(k % 4) + 1}`);
}

/** Queue an export (the sandbox runs with jobDurationMs 0, so it is DONE at once) and download it. */
async function exportResults(sb: Sandbox, path: string, body: unknown): Promise<Json> {
  const q = await post(`${sb.v4Url}${path}`, body);
  expect([200, 202], q.text).toContain(q.status);
  const r = await get(`${sb.v4Url}/export/jobs/${q.json.jobId}/results`);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

interface WeekCell {
  weekStart: number;
  forecastValue?: number;
  isUpdated?: boolean;
  updatedBy?: string;
  updatedOn?: number;
  adjustmentValue?: number;
  adjustedBy?: string;
  adjustedOn?: number;
}

interface World {
  now: number;
  /** `${forecastId}|${timePeriod}|${userId}|${fieldName}` -> weeks in order. */
  series: Map<string, WeekCell[]>;
  /** userId -> {email, manager userId} from the exports' users tables. */
  users: Map<string, { email: string; name: string; crmId: string; manager: string | null; root: boolean }>;
  audit: { items: Json[]; actors: Json[] };
  activities: Json[];
  /** oppId -> the /opportunity item. */
  opps: Map<string, Json>;
}

async function load(sb: Sandbox, now: number): Promise<World> {
  const series = new Map<string, WeekCell[]>();
  const users: World["users"] = new Map();
  for (const forecastId of TABS) {
    for (const timePeriod of quartersAround(now)) {
      const t = await exportResults(sb, `/export/forecast/${forecastId}`, { timePeriod, includeHistorical: true, typesToExport: TYPES });
      expect(t.timePeriods[0].timePeriodId).toBe(timePeriod);
      const byHierarchy = new Map<string, string>(t.users.map((u: Json) => [u.hierarchyId, u.userId]));
      for (const u of t.users) {
        users.set(u.userId, {
          email: u.email,
          name: u.name,
          crmId: u.crmId,
          manager: byHierarchy.get(u.parentHierarchyId) ?? null,
          root: u.parentHierarchyId === "",
        });
      }
      const fieldName = new Map<string, string>(t.fields.map((f: Json) => [f.fieldId, f.fieldName]));
      const frames = new Map<string, number>(t.timeFrames.map((f: Json) => [f.timeFrameId, Date.parse(`${f.startDate}T00:00:00Z`)]));
      for (const e of t.entries) {
        if (e.fieldId === "quota") continue;
        const key = `${forecastId}|${timePeriod}|${e.userId}|${fieldName.get(e.fieldId)}`;
        let list = series.get(key);
        if (!list) series.set(key, (list = []));
        const { forecastValue, isUpdated, updatedBy, updatedOn, adjustmentValue, adjustedBy, adjustedOn } = e;
        list.push({ weekStart: frames.get(e.timeFrameId) as number, forecastValue, isUpdated, updatedBy, updatedOn, adjustmentValue, adjustedBy, adjustedOn });
      }
    }
  }
  for (const list of series.values()) list.sort((a, b) => a.weekStart - b.weekStart);

  const audit = await exportResults(sb, "/export/audit/events", {});
  const { activities } = await exportResults(sb, "/export/activity", {});
  const ids = [...new Set<string>(activities.flatMap((a: Json) => a.opportunities.map((o: Json) => o.opportunityId)))];
  const opps = new Map<string, Json>();
  for (let i = 0; i < ids.length; i += 100) {
    const r = await get(`${sb.v4Url}/opportunity?${ids.slice(i, i + 100).map((id) => `oppId=${id}`).join("&")}`);
    expect(r.status).toBe(200);
    for (const o of r.json) opps.set(o.id, o);
  }
  return { now, series, users, audit, activities, opps };
}

const field = (o: Json, id: string): Json => o.fields.find((f: Json) => f.id === id);

const SCENARIOS = [
  { name: "seed 42, Thursday of week 8", seed: 42, now: T0 },
  { name: "seed 7, Monday morning (updates still to come this week)", seed: 7, now: Date.UTC(2026, 10, 16, 3, 30) },
  { name: "seed 42, week 2 (audit reaches into the previous quarter)", seed: 42, now: Date.UTC(2026, 9, 7, 10, 0) },
];

describe.each(SCENARIOS)("sandbox coherence: $name", ({ seed, now }) => {
  let sb: Sandbox;
  let w: World;

  beforeAll(async () => {
    sb = await startSandbox({ seed, now: () => now, jobDurationMs: 0, rateLimitPerSecond: 10_000 });
    w = await load(sb, now);
  });
  afterAll(() => sb.close());

  it("forecast timestamps fall inside their week, before the export, by the user (update) or their manager (adjustment)", () => {
    let updates = 0;
    let adjustments = 0;
    let carried = 0;
    for (const [key, weeks] of w.series) {
      const userId = key.split("|")[2] as string;
      weeks.forEach((c, i) => {
        if (c.isUpdated) {
          updates++;
          expect(c.updatedBy).toBe(userId);
          expect(c.updatedOn).toBeGreaterThanOrEqual(c.weekStart);
          expect(c.updatedOn).toBeLessThan(c.weekStart + WEEK);
          expect(c.updatedOn).toBeLessThan(w.now); // made before the export, never stamped with its time
        } else {
          expect(c.isUpdated).toBe(false);
          expect(c.updatedBy).toBeUndefined();
          expect(c.updatedOn).toBeUndefined();
          // Not updated: the call is last week's.
          if (i > 0) {
            expect(c.forecastValue, key).toBe(weeks[i - 1]?.forecastValue);
            carried++;
          }
        }
        if (c.adjustmentValue !== undefined) {
          adjustments++;
          expect(c.adjustedBy).toBe(w.users.get(userId)?.manager);
          expect(c.adjustedBy).not.toBe(userId);
          expect(c.adjustedOn).toBeGreaterThanOrEqual(c.weekStart);
          expect(c.adjustedOn).toBeLessThan(c.weekStart + WEEK);
          expect(c.adjustedOn).toBeLessThan(w.now);
          if (c.isUpdated) expect(c.adjustedOn).toBeGreaterThan(c.updatedOn as number); // adjusts the updated call
        } else {
          expect(c.adjustedBy).toBeUndefined();
          expect(c.adjustedOn).toBeUndefined();
        }
      });
    }
    expect(updates).toBeGreaterThan(100);
    expect(adjustments).toBeGreaterThan(10);
    expect(carried).toBeGreaterThan(10);
  });

  it("an updated call (after week 1) changed at least one field", () => {
    const byUserWeek = new Map<string, { updated: boolean; changed: boolean }>();
    for (const [key, weeks] of w.series) {
      const [forecastId, timePeriod, userId] = key.split("|");
      weeks.forEach((c, i) => {
        if (i === 0) return;
        const k = `${forecastId}|${timePeriod}|${userId}|${c.weekStart}`;
        const s = byUserWeek.get(k) ?? { updated: c.isUpdated === true, changed: false };
        s.changed ||= c.forecastValue !== weeks[i - 1]?.forecastValue;
        byUserWeek.set(k, s);
      });
    }
    for (const [k, s] of byUserWeek) expect(s.changed, k).toBe(s.updated);
  });

  it("every forecast audit event is a real change between two exported weeks, and every change in the audit window has one", () => {
    const actors = new Map<string, Json>(w.audit.actors.map((a: Json) => [a.actorId, a]));
    const emailToUser = new Map([...w.users].map(([id, u]) => [u.email, id]));
    const from = w.now - 30 * DAY;

    // Every change between consecutive exported weeks, keyed as an audit event would describe it.
    const changes = new Map<string, number>();
    const add = (k: string): void => void changes.set(k, (changes.get(k) ?? 0) + 1);
    for (const [key, weeks] of w.series) {
      const [forecastId, timePeriod, userId, fieldName] = key.split("|");
      for (let i = 1; i < weeks.length; i++) {
        const prev = weeks[i - 1] as WeekCell;
        const cur = weeks[i] as WeekCell;
        if (cur.forecastValue !== prev.forecastValue) {
          expect(cur.isUpdated, key).toBe(true);
          const on = cur.updatedOn as number;
          if (on >= from && on <= w.now) {
            add(["forecast.updated", forecastId, timePeriod, userId, fieldName, prev.forecastValue, cur.forecastValue, isoSeconds(on), userId].join("|"));
          }
        }
        if (cur.adjustmentValue !== undefined && prev.adjustmentValue !== undefined && cur.adjustmentValue !== prev.adjustmentValue) {
          const on = cur.adjustedOn as number;
          if (on >= from && on <= w.now) {
            add(["forecast.adjusted", forecastId, timePeriod, userId, fieldName, prev.adjustmentValue, cur.adjustmentValue, isoSeconds(on), cur.adjustedBy].join("|"));
          }
        }
      }
    }

    const events = w.audit.items.filter((e: Json) => e.event.startsWith("forecast.") && e.event !== "forecast.viewed" && e.event !== "forecast.snapshot.created");
    expect(new Set(events.map((e: Json) => e.event))).toEqual(new Set(["forecast.updated", "forecast.adjusted"]));
    const seen = new Map<string, number>();
    for (const e of events) {
      const p = e.eventParameters;
      expect(Object.keys(p).length).toBeLessThanOrEqual(10);
      expect(e.actorType).toBe("USER");
      expect(e.impersonatingActorId).toBeNull();
      const actorUser = emailToUser.get(actors.get(e.actorId)?.email);
      expect(actorUser, e.actorId).toBeDefined();
      // The event's week: the exported week of that series containing the event time.
      const weeks = w.series.get(`${p.forecastId}|${p.timePeriod}|${p.userId}|${p.fieldName}`);
      expect(weeks, JSON.stringify(p)).toBeDefined();
      const t = Date.parse(e.eventTimestamp);
      const i = (weeks as WeekCell[]).findIndex((c) => t >= c.weekStart && t < c.weekStart + WEEK);
      expect(i, e.eventTimestamp).toBeGreaterThan(0);
      const k = [e.event, p.forecastId, p.timePeriod, p.userId, p.fieldName, p.oldValue, p.newValue, e.eventTimestamp, actorUser].join("|");
      expect(changes.has(k), k).toBe(true);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect(seen).toEqual(changes);
    expect(events.filter((e: Json) => e.event === "forecast.updated").length).toBeGreaterThan(50);
    expect(events.filter((e: Json) => e.event === "forecast.adjusted").length).toBeGreaterThan(5);
  });

  it("a leader's own call is 85-110% of their direct reports' sum once the week's updates are in; Most Likely lies strictly between Commit and Best Case", () => {
    const FIELDS = ["Commit", "Most Likely", "Best Case", "Pipeline"];
    const reports = new Map<string, string[]>();
    for (const [userId, u] of w.users) if (u.manager) reports.set(u.manager, [...(reports.get(u.manager) ?? []), userId]);
    const ratios: number[] = [];
    for (const forecastId of TABS) {
      for (const timePeriod of quartersAround(w.now)) {
        const cell = (userId: string, field: string, i: number) => w.series.get(`${forecastId}|${timePeriod}|${userId}|${field}`)?.[i];
        const weeks = w.series.get(`${forecastId}|${timePeriod}|${[...w.users.keys()][0]}|Commit`) ?? [];
        weeks.forEach((week, i) => {
          for (const userId of w.users.keys()) {
            const [c, ml, bc, p] = FIELDS.map((f) => cell(userId, f, i)?.forecastValue as number);
            expect(c! < ml! && ml! < bc! && bc! < p!, `${forecastId} ${timePeriod} ${userId} week ${i + 1}: ${[c, ml, bc, p]}`).toBe(true);
          }
          // Monday's updates are all in by 06:00 UTC; before then a leader may still show last week's call.
          if (week.weekStart + 6 * 3_600_000 > w.now) return;
          for (const [leader, team] of reports) {
            for (const field of FIELDS) {
              const sum = team.reduce((s, id) => s + (cell(id, field, i)?.forecastValue ?? 0), 0);
              if (sum <= 0) continue; // a net tab's team may net out below zero: no share to speak of
              const ratio = (cell(leader, field, i)?.forecastValue as number) / sum;
              ratios.push(ratio);
              expect(ratio, `${forecastId} ${timePeriod} ${leader} ${field} week ${i + 1}`).toBeGreaterThanOrEqual(0.85);
              expect(ratio, `${forecastId} ${timePeriod} ${leader} ${field} week ${i + 1}`).toBeLessThanOrEqual(1.1);
            }
          }
        });
      }
    }
    expect(ratios.length).toBeGreaterThan(100);
    // Leaders shade their team's number both ways, not by a fixed factor.
    expect(Math.min(...ratios)).toBeLessThan(0.95);
    expect(Math.max(...ratios)).toBeGreaterThan(1);
  });

  it("actors resolve; impersonation follows the spec (actorId = the admin responsible, impersonatingActorId = the user acted for)", () => {
    const actors = new Map<string, Json>(w.audit.actors.map((a: Json) => [a.actorId, a]));
    expect(actors.size).toBe(w.audit.actors.length);
    const root = [...w.users.values()].find((u) => u.root);
    const emails = new Set([...w.users.values()].map((u) => u.email));
    let impersonated = 0;
    for (const e of w.audit.items) {
      expect(actors.get(e.actorId), e.actorId).toMatchObject({ actorType: e.actorType, name: expect.any(String), email: expect.any(String) });
      if (e.actorType === "USER") expect(emails.has(actors.get(e.actorId).email)).toBe(true);
      if (e.impersonatingActorId !== null) {
        impersonated++;
        expect(e.actorType).toBe("USER");
        expect(e.impersonatingActorId).not.toBe(e.actorId);
        expect(actors.get(e.actorId).email).toBe(root?.email);
        const behalf = actors.get(e.impersonatingActorId);
        expect(behalf?.actorType).toBe("USER");
        expect(emails.has(behalf?.email)).toBe(true);
      }
    }
    expect(impersonated).toBeGreaterThan(0);
  });

  it("activities reference real opportunities by id and name, of their account and owner, not after a closed deal closed", () => {
    const byCrm = new Map([...w.users.values()].map((u) => [u.crmId, u]));
    let refs = 0;
    for (const a of w.activities) {
      for (const ref of a.opportunities) {
        refs++;
        const o = w.opps.get(ref.opportunityId);
        expect(o, ref.opportunityId).toBeDefined();
        expect(o.name).toBe(ref.opportunityName);
        expect(field(o, "opportunity.name").value).toBe(ref.opportunityName);
        expect(field(o, "opportunity.accountName").value).toBe(a.accounts[0].accountName);
        expect(field(o, "opportunity.owner").value).toBe(byCrm.get(ref.opportunityOwnerId)?.name);
        const stage = field(o, "opportunity.stageName").value;
        if (stage === "Closed Won" || stage === "Closed Lost") expect(isoDay(a.date) <= field(o, "opportunity.closeDate").value).toBe(true);
      }
    }
    expect(refs).toBeGreaterThan(100);
  });

  it("crmScore and its message follow from the deal's own activity, stage and dates", () => {
    const today = dayStart(w.now);
    const eng = new Map<string, { last30: number; latest: number | null }>();
    for (const a of w.activities) {
      if (a.date >= today) continue; // scored nightly: today's and scheduled activity count from tomorrow
      for (const ref of a.opportunities) {
        const e = eng.get(ref.opportunityId) ?? { last30: 0, latest: null };
        if (a.date >= today - 30 * DAY) e.last30++;
        if (e.latest === null || a.date > e.latest) e.latest = a.date;
        eng.set(ref.opportunityId, e);
      }
    }
    const open: Array<{ score: number; prob: number; last30: number; latest: number; pushes: number; past: boolean; message: string }> = [];
    for (const [id, o] of w.opps) {
      const e = eng.get(id) ?? { last30: 0, latest: null };
      const { score, message } = o.crmScore;
      expect(field(o, "opportunity.lastActivityDate").value).toBe(e.latest === null ? null : isoDay(e.latest));
      expect(field(o, "opportunity.clariScore").value).toBe(score);
      const stage = field(o, "opportunity.stageName").value;
      if (stage === "Closed Won") {
        expect(o.crmScore).toEqual({ score: 100, message: "Opportunity is won" });
        continue;
      }
      if (stage === "Closed Lost") {
        expect(o.crmScore).toEqual({ score: 0, message: "Opportunity is lost" });
        continue;
      }
      const close = field(o, "opportunity.closeDate");
      const past = close.value < isoDay(today);
      const latest = e.latest ?? -Infinity;
      const ctx = `${id} ${message} ${JSON.stringify(e)} close ${close.value}`;
      expect(score, ctx).toBeGreaterThanOrEqual(1);
      expect(score, ctx).toBeLessThanOrEqual(99);
      expect(/no activity/i.test(message), ctx).toBe(e.last30 === 0);
      expect(/close date in the past/i.test(message), ctx).toBe(past);
      if (/in the last 14 days/.test(message) || /^Strong engagement/.test(message)) expect(latest, ctx).toBeGreaterThanOrEqual(today - 14 * DAY);
      if (/^Strong engagement/.test(message)) expect(e.last30, ctx).toBeGreaterThanOrEqual(3);
      if (/^Low engagement/.test(message)) {
        expect(e.last30, ctx).toBeGreaterThan(0);
        expect(latest, ctx).toBeLessThan(today - 14 * DAY);
      }
      if (/pushed recently/.test(message)) expect(close.trendHistory.some((p: Json) => p.date >= today - 30 * DAY), ctx).toBe(true);
      open.push({ score, prob: field(o, "opportunity.probability").value, last30: e.last30, latest, pushes: close.trendHistory.length, past, message });
    }
    expect(open.length).toBeGreaterThan(50);

    // Ranking: a deal at least as far along, as engaged and as recent, with no more pushes and no
    // worse close date, never scores lower.
    let pairs = 0;
    for (const a of open) {
      for (const b of open) {
        if (a === b) continue;
        if (a.prob >= b.prob && a.last30 >= b.last30 && a.latest >= b.latest && a.pushes <= b.pushes && (!a.past || b.past)) {
          pairs++;
          expect(a.score, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBeGreaterThanOrEqual(b.score);
        }
      }
    }
    expect(pairs).toBeGreaterThan(100);
    const dead = open.filter((o) => o.past && o.last30 === 0).map((o) => o.score);
    const engaged = open.filter((o) => !o.past && o.latest >= today - 14 * DAY).map((o) => o.score);
    expect(engaged.length).toBeGreaterThan(5);
    if (dead.length > 0) expect(Math.max(...dead)).toBeLessThan(Math.min(...engaged));
  });
});

describe("sandbox determinism", () => {
  /**
   * A fixed sequence of requests; every response's status, headers and body bytes, with the
   * sandbox's own origin (its ephemeral port shows in nextLink) written as ORIGIN.
   */
  async function capture(seed: number, now: number): Promise<string[]> {
    const sb = await startSandbox({ seed, now: () => now, jobDurationMs: 0 });
    const out: string[] = [];
    const keep = (r: Res): Res => {
      out.push(JSON.stringify([r.status, [...r.headers.entries()].sort(), r.text.split(sb.url).join("ORIGIN")]));
      return r;
    };
    const results = async (path: string, body: unknown): Promise<Res> => {
      const q = keep(await post(`${sb.v4Url}${path}`, body));
      keep(await get(`${sb.v4Url}/export/jobs/${q.json.jobId}`));
      return keep(await get(`${sb.v4Url}/export/jobs/${q.json.jobId}/results`));
    };
    try {
      keep(await get(`${sb.v4Url}/admin/limits`));
      await results("/export/forecast/net_bookings", { includeHistorical: true, typesToExport: TYPES });
      await results("/export/forecast/renewals", { timePeriod: quartersAround(now)[0], includeHistorical: true, typesToExport: TYPES, exportFormat: "CSV" });
      await results("/export/forecast/net_arr", { resultShape: "flat", currency: "EUR", typesToExport: TYPES });
      keep(await get(`${sb.v4Url}/forecast/net_arr?typesToExport=forecast,crm_total,crm_closed`));
      await results("/export/audit/events", {});
      const page = keep(await get(`${sb.v4Url}/audit/events?limit=50&event=forecast`));
      keep(await get(page.json.nextLink));
      const acts = await results("/export/activity", { startDate: isoDay(now - 20 * DAY) });
      const ids = acts.json.activities.flatMap((a: Json) => a.opportunities.map((o: Json) => o.opportunityId)).slice(0, 20);
      keep(await get(`${sb.v4Url}/opportunity?${ids.map((id: string) => `oppId=${id}`).join("&")}`));
      keep(await post(`${sb.v4Url}/export/forecast/net_bookings`, { currency: "XYZ" })); // an error body with its errorId
      keep(await call(`${sb.v4Url}/export/jobs`, { headers: KEY }));
    } finally {
      await sb.close();
    }
    return out;
  }

  it("the same seed and clock give byte-identical responses; another seed does not", async () => {
    const a = await capture(42, T0);
    const b = await capture(42, T0);
    expect(a.length).toBe(22);
    for (let i = 0; i < a.length; i++) expect(b[i] === a[i], `response ${i}: ${a[i]?.slice(0, 200)}`).toBe(true);
    const c = await capture(43, T0);
    expect(c).not.toEqual(a);
  });
});
