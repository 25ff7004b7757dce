/** clari_export_activity: the job is the sandbox's, and its summary counts what the export file holds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActivitySummarySchema } from "../../src/exports/index.js";
import { exportActivity } from "../../src/tools/catalog/export-activity.js";
import type { RawActivity } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, counts, DAY_MS, expectTop, isoDay, raw, rawJobs, span } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_export_activity", () => {
  it("exports a date range of activities and counts them by type and account as the file has them", async () => {
    const now = Date.now();
    const args = { startDate: isoDay(now - 20 * DAY_MS), endDate: isoDay(now + DAY_MS), activityTypes: ["MEETING", "EMAIL_SENT"], waitSeconds: 30 };
    const { out, text } = await call(h, exportActivity, args);
    expect(out).toMatchObject({ outcome: "done", status: "DONE", resourceUri: `clari://exports/${out.jobId}` });
    expect((await rawJobs(h)).find((j) => j.jobId === out.jobId)).toMatchObject({ status: "DONE" });

    const file = await raw<{ activities: RawActivity[] }>("GET", `${h.sandbox.v4Url}/export/jobs/${out.jobId}/results`);
    const summary = ActivitySummarySchema.parse(out.summary);
    expect(file.activities.length).toBeGreaterThan(10);
    expect(new Set(file.activities.map((a) => a.activityType))).toEqual(new Set(["MEETING", "EMAIL_SENT"]));
    expect(summary.activities).toBe(file.activities.length);
    const { from, to } = span(file.activities.map((a) => a.date));
    expect([Date.parse(summary.from!), Date.parse(summary.to!)]).toEqual([from, to]);
    expectTop(summary.byType, counts(file.activities, (a) => a.activityType));
    expectTop(summary.byAccount, counts(file.activities, (a) => a.accounts[0]?.accountName));
    expect(text).toContain(`${file.activities.length} activities`);
  });
});
