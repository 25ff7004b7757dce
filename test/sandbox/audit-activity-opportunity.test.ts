import { describe, expect, it } from "vitest";
import { type Sandbox } from "../../src/sandbox/index.js";
import { T0, clock, get, post, sandbox } from "./helpers.js";

const DAY = 86_400_000;

async function runExport(sb: Sandbox, path: string, body: unknown): Promise<unknown> {
  const q = await post(`${sb.v4Url}${path}`, body);
  expect(q.status).toBe(202);
  expect(q.json.jobId).toMatch(/^[0-9a-f]{24}$/);
  sb.finishJob(q.json.jobId);
  const r = await get(`${sb.v4Url}/export/jobs/${q.json.jobId}/results`);
  expect(r.status).toBe(200);
  return r.json;
}

describe("audit events", () => {
  it("pages to the end via nextLink and covers every event of the last 30 days", async () => {
    const sb = await sandbox({ now: clock().now });
    const expected = sb.org.auditEvents().filter((e) => e.time >= T0 - 30 * DAY && e.time <= T0);
    expect(expected.length).toBeGreaterThan(150);
    const seen: string[] = [];
    let next: string | null = `${sb.v4Url}/audit/events?limit=70`;
    let pages = 0;
    while (next) {
      expect(next.startsWith(`${sb.url}/v4/audit/events?`)).toBe(true);
      const r = await get(next);
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(70);
      for (const item of r.json.items) {
        seen.push(item.correlationID);
        expect(item).not.toHaveProperty("time");
        expect(item.eventTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(["USER", "SYSTEM", "JOB"]).toContain(item.actorType);
        expect(["WEB", "IOS", "ANDROID"]).toContain(item.sessionType);
        const actor = r.json.actors.find((a: { actorId: string }) => a.actorId === item.actorId);
        expect(actor).toMatchObject({ name: expect.any(String), email: expect.any(String) });
      }
      next = r.json.nextLink ?? null;
      pages++;
    }
    expect(pages).toBe(Math.ceil(expected.length / 70));
    expect(seen).toEqual(expected.map((e) => e.correlationID));
  });

  it("filters by actor, session type, event category and dates", async () => {
    const sb = await sandbox({ now: clock().now });
    const actor = sb.org.users[1]?.actorId ?? "";
    const r = await get(`${sb.v4Url}/audit/events?limit=1000&actorId=${actor}&sessionType=WEB`);
    const want = sb.org.auditEvents().filter((e) => e.actorId === actor && e.sessionType === "WEB" && e.time >= T0 - 30 * DAY && e.time <= T0);
    expect(r.json.items.map((i: { correlationID: string }) => i.correlationID)).toEqual(want.map((e) => e.correlationID));
    expect(r.json.nextLink).toBeNull();
    const fc = await get(`${sb.v4Url}/audit/events?limit=1000&event=forecast`);
    expect(fc.json.items.length).toBeGreaterThan(0);
    for (const i of fc.json.items) expect(i.event).toMatch(/^forecast\./);
    const day = await get(`${sb.v4Url}/audit/events?limit=1000&dateFrom=2026-11-10&dateTo=2026-11-10`);
    for (const i of day.json.items) expect(i.eventTimestamp.startsWith("2026-11-10")).toBe(true);
  });

  it("rejects a bad limit or filter with an audit-family error", async () => {
    const sb = await sandbox();
    for (const q of ["limit=0", "limit=1001", "limit=abc", "sessionType=DESKTOP", "dateFrom=yesterday", "actorId=bob", "cursor=zzz"]) {
      const r = await get(`${sb.v4Url}/audit/events?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.errors[0]).toMatchObject({ code: "bad_request", status: "400", message: expect.any(String) });
    }
  });

  it("queues an audit export whose results are {items, actors}", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now });
    const out = (await runExport(sb, "/export/audit/events", { sessionType: "IOS", dateFrom: "2026-11-01T00:00:00Z" })) as {
      items: Array<{ sessionType: string; eventTimestamp: string }>;
      actors: unknown[];
    };
    expect(out.items.length).toBeGreaterThan(0);
    for (const i of out.items) {
      expect(i.sessionType).toBe("IOS");
      expect(i.eventTimestamp >= "2026-11-01").toBe(true);
    }
    expect(out.actors.length).toBeGreaterThan(0);
    const job = (await get(`${sb.v4Url}/export/jobs`)).json.jobs[0];
    expect(job).toMatchObject({ module: "AUDIT", fileName: "clari_export_audit_events_20261119_150000.json" });
    const bad = await post(`${sb.v4Url}/export/audit/events`, { actorId: "x" });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].target).toBe("actorId");
  });
});

describe("activity export", () => {
  it("queues an export filtered by types and dates", async () => {
    const sb = await sandbox({ now: clock().now });
    const out = (await runExport(sb, "/export/activity", {
      activityTypes: ["MEETING", "EMAIL_SENT"],
      startDate: "2026-10-01T00:00:00Z",
      endDate: "2026-10-31T00:00:00Z",
    })) as { activities: Array<Record<string, unknown>> };
    const from = Date.UTC(2026, 9, 1);
    const to = Date.UTC(2026, 10, 1);
    const want = sb.org.activities().filter((a) => ["MEETING", "EMAIL_SENT"].includes(a.activityType) && a.date >= from && a.date < to);
    expect(out.activities.length).toBe(want.length);
    expect(want.length).toBeGreaterThan(10);
    const a = out.activities[0] as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(
      ["accounts", "activityId", "activityOrganiserId", "activityOwnerId", "activityType", "date", "opportunities", "participants", "subject"],
    );
    expect(typeof a.date).toBe("number");
    expect((a.participants as Array<{ isInternal: boolean }>).some((p) => p.isInternal)).toBe(true);
    expect((await get(`${sb.v4Url}/export/jobs`)).json.jobs[0].module).toBe("ACTIVITY");
  });

  it("an invalid activityType -> 400 activity-family error", async () => {
    const sb = await sandbox();
    const r = await post(`${sb.v4Url}/export/activity`, { activityTypes: ["MEETING", "CALL"] });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: "Bad request", namespace: "activity", orgId: String(sb.org.orgId) });
    expect(r.json.message).toContain("CALL");
    expect(r.json.errorId).toMatch(/^[0-9a-f]{32}$/);
    expect((await post(`${sb.v4Url}/export/activity`, { startDate: "soon" })).status).toBe(400);
    expect(sb.stats().jobsCreated).toBe(0);
  });
});

describe("opportunity", () => {
  it("returns the requested opportunities in the spec's shape; unknown ids are absent", async () => {
    const sb = await sandbox();
    const [a, b] = sb.org.opportunities();
    const r = await get(`${sb.v4Url}/opportunity?oppId=${a?.oppId}&oppId=006000000000000XXX&oppId=${b?.oppId}&mode=OPPORTUNITY_MODE_ID`);
    expect(r.status).toBe(200);
    expect(r.json.map((o: { id: string }) => o.id)).toEqual([a?.oppId, b?.oppId]);
    const o = r.json[0];
    expect(o.crmScore).toEqual(a?.crmScore);
    const amount = o.fields.find((f: { id: string }) => f.id === "opportunity.amount");
    expect(amount).toMatchObject({ alias: "Amount", value: a?.amount, trend: expect.any(String), trendHistory: expect.any(Array) });
    for (const f of o.fields) expect(Object.keys(f)).toEqual(expect.arrayContaining(["id", "alias", "value", "trend", "trendHistory"]));
  });

  it("0 or more than 100 ids -> 400 opportunity-family error", async () => {
    const sb = await sandbox();
    const none = await get(`${sb.v4Url}/opportunity`);
    expect(none.status).toBe(400);
    expect(none.json).toEqual([{ statusCode: 400, reaspnPhrase: "Bad Request", description: "invalid query parameter", details: "oppId is required" }]);
    const ids = sb.org.opportunities().slice(0, 101).map((o) => `oppId=${o.oppId}`).join("&");
    const many = await get(`${sb.v4Url}/opportunity?${ids}`);
    expect(many.status).toBe(400);
    expect(many.json[0].statusCode).toBe(400);
    const hundred = sb.org.opportunities().slice(0, 100).map((o) => `oppId=${o.oppId}`).join("&");
    expect((await get(`${sb.v4Url}/opportunity?${hundred}`)).json).toHaveLength(100);
  });
});
