/**
 * clari_get_opportunities with fromActivities: the deals the stored activity export touched in a
 * window are found and looked up server-side, past Clari's 100 a call in batches, with no id in the
 * request; every lookup is then queryable. Expected deals are computed by hand from the sandbox's raw
 * activity export, never through the server's readers or engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { exportResults, type RawActivity } from "../answers/raw-data.js";

let h: Harness;
let activities: RawActivity[];

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const now = Date.now();

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 120, seed: 5, jobDurationMs: 100 } });
  await h.client.listTools(); // the SDK client then checks structuredContent against the output schema
  const exported = await h.client.callTool({ name: "clari_export_activity", arguments: { startDate: day(now - 60 * DAY), endDate: day(now + DAY), waitSeconds: 30 } });
  expect(exported.isError, textOf(exported)).toBeFalsy();
  activities = (await exportResults<{ activities: RawActivity[] }>(h.sandbox, (exported.structuredContent as { jobId: string }).jobId)).activities;
}, 60_000);
afterAll(() => h.close());

/** The distinct deals of the raw activities dated in [since, until). */
function touched(since: number, until: number): Set<string> {
  return new Set(activities.filter((a) => a.date >= since && a.date < until).flatMap((a) => a.opportunities.map((o) => o.opportunityId)));
}

async function call(args: Record<string, unknown>) {
  const result = await h.client.callTool({ name: "clari_get_opportunities", arguments: args });
  return { isError: result.isError === true, text: textOf(result), out: result.structuredContent as { found: number; touched?: number; rows: unknown[][] } };
}

describe("deals touched by stored activities", () => {
  it("looks up every deal of a window in batches of 100, and keeps them for clari_query", async () => {
    const since = day(now - 45 * DAY);
    const until = day(now);
    const expected = touched(Date.parse(`${since}T00:00:00Z`), Date.parse(`${until}T00:00:00Z`) + DAY);
    expect(expected.size, "a window wider than one Clari call").toBeGreaterThan(100);
    const before = h.sandbox.stats().byRoute["GET /v4/opportunity"] ?? 0;
    const { isError, text, out } = await call({ fromActivities: { since, until }, limit: 5, sort: "score_asc" });
    expect(isError, text).toBe(false);
    expect(out.touched).toBe(expected.size);
    expect(out.found).toBe(expected.size);
    expect(out.rows).toHaveLength(5);
    expect(text).toContain(`${expected.size} deal(s) touched by stored activities from ${since}T00:00:00.000Z to ${day(Date.parse(until) + DAY)}T00:00:00.000Z`);
    expect(text).toMatch(/All \d+ are stored: ask clari_query/);
    expect((h.sandbox.stats().byRoute["GET /v4/opportunity"] ?? 0) - before).toBe(Math.ceil(expected.size / 100));

    const sorted = [...expected].sort();
    const stored = await h.client.callTool({ name: "clari_query", arguments: { sql: "SELECT count(DISTINCT opportunity_id), min(opportunity_id), max(opportunity_id) FROM opportunities" } });
    expect((stored.structuredContent as { rows: unknown[][] }).rows[0]).toEqual([expected.size, sorted[0], sorted[sorted.length - 1]]);
  });

  it("a date-time window is taken as given (until exclusive)", async () => {
    const since = new Date(now - 10 * DAY).toISOString();
    const until = new Date(now - 3 * DAY).toISOString();
    const { out } = await call({ fromActivities: { since, until } });
    expect(out.touched).toBe(touched(Date.parse(since), Date.parse(until)).size);
  });

  it("refuses oppIds with fromActivities, or neither, before any request", async () => {
    const before = h.sandbox.stats().requests;
    const both = await call({ oppIds: ["006000000000000001"], fromActivities: { since: day(now - DAY) } });
    const neither = await call({});
    for (const answer of [both, neither]) {
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(/either oppIds .* or fromActivities/);
    }
    expect(h.sandbox.stats().requests).toBe(before);
  });
});

describe("with no activity export stored", () => {
  it("says which export to make first", async () => {
    const empty = await startHarness({ sandbox: { jobDurationMs: 100 } });
    try {
      const result = await empty.client.callTool({ name: "clari_get_opportunities", arguments: { fromActivities: { since: "2026-11-01", until: "2026-11-30" } } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('clari_export_activity {"startDate":"2026-11-01","endDate":"2026-12-01"}');
      expect(empty.sandbox.stats().requests).toBe(0);
    } finally {
      await empty.close();
    }
  });
});
