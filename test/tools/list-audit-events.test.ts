/** clari_list_audit_events: pages of the audit log as the sandbox's GET /audit/events gives them, cursor included. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../src/tools/catalog/list-audit-events.js";
import type { RawAuditItem } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw } from "./tool-call.js";

interface RawPage {
  items: RawAuditItem[];
  actors: Array<{ actorId: string; name: string }>;
  nextLink?: string | null;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const rows = (page: RawPage) => {
  const names = new Map(page.actors.map((a) => [a.actorId, a.name]));
  return page.items.map((i) => ({ event: i.event, actorId: i.actorId, actorName: names.get(i.actorId), at: Date.parse(i.eventTimestamp) }));
};

describe("clari_list_audit_events", () => {
  it("gives the first two pages as the raw API does, following its cursor", async () => {
    const first = await raw<RawPage>("GET", `${h.sandbox.v4Url}/audit/events?limit=7&event=forecast.updated`);
    const one = await call(h, listAuditEvents, { limit: 7, event: "forecast.updated" });
    expect(one.out.count).toBe(7);
    expect(one.out.events.map((e) => ({ event: e.event, actorId: e.actorId, actorName: e.actorName, at: Date.parse(e.eventTimestamp!) }))).toEqual(rows(first));
    expect(first.nextLink).toBeTruthy();
    // The cursor is Clari's nextLink, opaque; its own time window is the tool's call's, not the raw one's.
    const link = new URL(Buffer.from(one.out.nextCursor!, "base64url").toString("utf8"));
    const rawLink = new URL(first.nextLink!);
    expect([link.origin + link.pathname, link.searchParams.get("limit"), link.searchParams.get("event")]).toEqual([rawLink.origin + rawLink.pathname, "7", "forecast.updated"]);

    const second = await raw<RawPage>("GET", first.nextLink!);
    const two = await call(h, listAuditEvents, { cursor: one.out.nextCursor });
    expect(two.out.events.map((e) => ({ event: e.event, actorId: e.actorId, actorName: e.actorName, at: Date.parse(e.eventTimestamp!) }))).toEqual(rows(second));
    expect(two.out.events.every((e) => e.event === "forecast.updated")).toBe(true);
  });

  it("says when there is no next page", async () => {
    const actorId = (await raw<RawPage>("GET", `${h.sandbox.v4Url}/audit/events?limit=1&event=forecast.updated`)).items[0]!.actorId;
    const page = await raw<RawPage>("GET", `${h.sandbox.v4Url}/audit/events?limit=1000&event=forecast.updated&actorId=${actorId}`);
    expect(page.nextLink ?? undefined).toBeUndefined();
    expect(page.items.length).toBeGreaterThan(0);
    const { out, text } = await call(h, listAuditEvents, { limit: 1000, event: "forecast.updated", actorId });
    expect(out.count).toBe(page.items.length);
    expect(out.nextCursor).toBeUndefined();
    expect(text).toContain("No more pages.");
  });
});
