import { describe, expect, it } from "vitest";
import { ActivityRowSchema, normaliseActivities } from "../../src/exports/read/normalise-activity.js";
import { AuditRowSchema, normaliseAudit } from "../../src/exports/read/normalise-audit.js";

const AUDIT_PAGE = {
  nextLink: "https://api.clari.com/v4/audit/events?cursor=abc",
  items: [
    {
      actorId: "101",
      impersonatingActorId: "202",
      actorType: "USER",
      sessionId: "3f1c3a9e-1111-4a4a-9f9f-000000000001",
      sessionType: "WEB",
      event: "forecast.updated",
      eventParameters: { field: "Commit", from: 100, to: 200 },
      eventTimestamp: "2026-10-12T16:22:18Z",
      ipAddress: "10.0.0.1",
      correlationID: "corr-1",
    },
    {
      actorId: 202,
      actorType: "SYSTEM",
      sessionId: "3f1c3a9e-1111-4a4a-9f9f-000000000002",
      sessionType: "IOS",
      event: "api.accessed",
      eventParameters: '{"path":"/export/jobs"}',
      eventTimestamp: 1791822138000,
      ipAddress: "10.0.0.2",
    },
    {
      actorId: "999",
      actorType: "JOB",
      sessionId: "s3",
      sessionType: "WEB",
      event: "export.created",
      eventTimestamp: "1791822138000",
      ipAddress: "10.0.0.3",
    },
  ],
  actors: [
    { actorType: "USER", actorId: "101", name: "Alice Chen", email: "alice@example.com" },
    { actorType: "USER", actorId: "202", name: "Bob Ortiz", email: "bob@example.com" },
  ],
};

describe("normaliseAudit", () => {
  it("joins actor names and emails and normalises timestamps", () => {
    const rows = normaliseAudit(AUDIT_PAGE);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(AuditRowSchema.parse(r)).toEqual(r);
    expect(rows[0]).toEqual({
      eventTimestamp: "2026-10-12T16:22:18.000Z",
      event: "forecast.updated",
      actorId: "101",
      actorName: "Alice Chen",
      actorEmail: "alice@example.com",
      actorType: "USER",
      impersonatingActorId: "202",
      impersonatingActorName: "Bob Ortiz",
      sessionId: "3f1c3a9e-1111-4a4a-9f9f-000000000001",
      sessionType: "WEB",
      ipAddress: "10.0.0.1",
      correlationId: "corr-1",
      eventParameters: { field: "Commit", from: 100, to: 200 },
    });
    expect(rows[1]).toMatchObject({
      actorId: "202",
      actorName: "Bob Ortiz",
      eventTimestamp: new Date(1791822138000).toISOString(),
      eventParameters: { path: "/export/jobs" },
      impersonatingActorName: "",
    });
    expect(rows[2]).toMatchObject({ actorName: "", actorEmail: "", eventTimestamp: new Date(1791822138000).toISOString(), eventParameters: null });
  });

  it("accepts JSON text, bytes, several pages and bare item arrays", () => {
    expect(normaliseAudit(JSON.stringify(AUDIT_PAGE))).toEqual(normaliseAudit(AUDIT_PAGE));
    expect(normaliseAudit(Buffer.from(JSON.stringify(AUDIT_PAGE)))).toEqual(normaliseAudit(AUDIT_PAGE));
    expect(normaliseAudit([AUDIT_PAGE, AUDIT_PAGE])).toHaveLength(6);
    expect(normaliseAudit(AUDIT_PAGE.items)[0]?.actorName).toBe("");
    expect(normaliseAudit({ items: [], actors: [] })).toEqual([]);
    expect(normaliseAudit("")).toEqual([]);
  });
});

// The spec's example activity (its date is a string of epoch ms).
const ACTIVITIES = {
  activities: [
    {
      activityId: "58eaf6bae6bdab17f362400127170cc3",
      activityType: "MEETING",
      activityOwnerId: "0073x000005ChMyQKK",
      activityOrganiserId: "0044x000005ChMyQQA",
      subject: "Data Pulse <> Clari Sync",
      date: "1702906200000",
      accounts: [{ accountId: "0014x000018I6EVAA0", accountName: "Data Pulse Inc.", accountOwnerId: "0073x000005ChMyQKK" }],
      opportunities: [{ opportunityId: "0064x00000MaqIEAAZ", opportunityName: "Data Pulse FY24", opportunityOwnerId: "0073x000005ChMyQKK" }],
      participants: [
        { name: "Ava Turner", email: "aturner@internaldomain.com", sfdcUserId: "0044x000005ChMyQQA", isInternal: true },
        { name: "Aiden Lewis", email: "alewis@internaldomain.com", sfdcUserId: "0073x000005ChMyQKK", isInternal: true },
        { name: "Samuel Martin", email: "samuelm@datapulsedomain.com", sfdcUserId: "", isInternal: false },
      ],
    },
    {
      activityId: "a2",
      activityType: "EMAIL_SENT",
      subject: "Follow-up",
      date: 1702992600000,
      accounts: [{ accountId: "0014x000018I6EVAA1" }],
    },
  ],
};

describe("normaliseActivities", () => {
  it("flattens activities into rows with names and participant counts", () => {
    const rows = normaliseActivities(ACTIVITIES);
    for (const r of rows) expect(ActivityRowSchema.parse(r)).toEqual(r);
    expect(rows[0]).toEqual({
      activityId: "58eaf6bae6bdab17f362400127170cc3",
      activityType: "MEETING",
      subject: "Data Pulse <> Clari Sync",
      date: "2023-12-18T13:30:00.000Z",
      owner: "0073x000005ChMyQKK",
      organiser: "0044x000005ChMyQQA",
      accounts: ["Data Pulse Inc."],
      accountIds: ["0014x000018I6EVAA0"],
      opportunities: ["Data Pulse FY24"],
      opportunityIds: ["0064x00000MaqIEAAZ"],
      participants: 3,
      internalParticipants: 2,
      externalParticipants: 1,
    });
    expect(rows[1]).toMatchObject({
      date: "2023-12-19T13:30:00.000Z",
      accounts: ["0014x000018I6EVAA1"],
      opportunities: [],
      participants: 0,
      owner: "",
    });
  });

  it("accepts JSON text, a bare array, and an empty export", () => {
    expect(normaliseActivities(JSON.stringify(ACTIVITIES))).toEqual(normaliseActivities(ACTIVITIES));
    expect(normaliseActivities(ACTIVITIES.activities)).toHaveLength(2);
    expect(normaliseActivities({ activities: [] })).toEqual([]);
    expect(normaliseActivities({})).toEqual([]);
  });
});
