/** clari_export_audit_events: the job is the sandbox's, and its summary counts what the export file holds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditSummarySchema } from "../../src/exports/index.js";
import { exportAuditEvents } from "../../src/tools/catalog/export-audit-events.js";
import type { RawAudit } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, counts, expectTop, raw, rawJobs, span } from "./tool-call.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("clari_export_audit_events", () => {
  it("exports the audit log and counts its events and actors as the file has them", async () => {
    const { out, text } = await call(h, exportAuditEvents, { waitSeconds: 30 });
    expect(out).toMatchObject({ outcome: "done", status: "DONE", resourceUri: `clari://exports/${out.jobId}` });
    expect((await rawJobs(h)).find((j) => j.jobId === out.jobId)).toMatchObject({ status: "DONE" });

    const file = await raw<RawAudit & { actors: Array<{ actorId: string; name: string }> }>("GET", `${h.sandbox.v4Url}/export/jobs/${out.jobId}/results`);
    const summary = AuditSummarySchema.parse(out.summary);
    expect(file.items.length).toBeGreaterThan(20);
    expect(summary.events).toBe(file.items.length);
    const { from, to } = span(file.items.map((i) => i.eventTimestamp));
    expect([Date.parse(summary.from!), Date.parse(summary.to!)]).toEqual([from, to]);
    expectTop(summary.byEvent, counts(file.items, (i) => i.event));
    const names = new Map(file.actors.map((a) => [a.actorId, a.name]));
    expectTop(summary.byActor, counts(file.items, (i) => names.get(i.actorId)));
    expect(text).toContain(`${file.items.length} audit events`);
  });
});
