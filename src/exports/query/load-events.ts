/**
 * Audit events (audit exports and the audit pages this server read) and activity exports into
 * their raw tables, each event's parameters and class as columns (read/audit-params.ts); the
 * contract's views over them de-duplicate (events by event_id, activities by activity_id) and
 * resolve actor names across sources.
 */
import { createHash } from "node:crypto";
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { AuditPage } from "../../client/schemas.js";
import { auditParams, eventClass } from "../read/audit-params.js";
import { normaliseActivities, normaliseActivityParticipants } from "../read/normalise-activity.js";
import { normaliseAudit, type AuditRow } from "../read/normalise-audit.js";
import type { Observed } from "../store/observations.js";
import { appendRows, text, tsIso } from "./append.js";

/** The source of audit rows read from pages (exports use their jobId). */
export const PAGES_SOURCE = "pages";

/** A stable id for an event (Clari gives none): its content, hashed. */
export function auditEventId(row: AuditRow): string {
  const parts = [row.eventTimestamp, row.actorId, row.impersonatingActorId, row.event, row.sessionId, row.correlationId, row.ipAddress, JSON.stringify(row.eventParameters)];
  return createHash("sha1").update(JSON.stringify(parts)).digest("hex").slice(0, 20);
}

function auditValues(source: string, row: AuditRow): DuckDBValue[] {
  const kind = eventClass(row.event, row.actorType);
  const p = auditParams(row.eventParameters);
  return [
    source,
    auditEventId(row),
    tsIso(row.eventTimestamp),
    text(row.actorId),
    text(row.actorName),
    text(row.actorEmail),
    text(row.actorType),
    text(row.impersonatingActorId),
    text(row.event),
    row.eventParameters === null ? null : JSON.stringify(row.eventParameters),
    text(row.sessionType),
    text(row.ipAddress),
    text(row.sessionId),
    text(row.correlationId),
    kind,
    kind === "change",
    text(p.forecastId),
    text(p.timePeriod),
    text(p.targetUserId),
    text(p.field),
    text(p.oldValue),
    text(p.newValue),
    p.change,
  ];
}

export async function loadAuditExport(con: DuckDBConnection, exportId: string, file: Buffer): Promise<number> {
  return appendRows(con, "raw.audit_rows", normaliseAudit(file).map((row) => auditValues(exportId, row)));
}

/** Replaces the rows read from audit pages with these pages' (oldest first). */
export async function loadAuditPages(con: DuckDBConnection, pages: readonly Observed<AuditPage>[]): Promise<number> {
  await con.run("DELETE FROM raw.audit_rows WHERE source = $source", { source: PAGES_SOURCE });
  return appendRows(con, "raw.audit_rows", pages.flatMap((page) => normaliseAudit(page.data).map((row) => auditValues(PAGES_SOURCE, row))));
}

export async function loadActivityExport(con: DuckDBConnection, exportId: string, file: Buffer): Promise<number> {
  const rows = normaliseActivities(file);
  await appendRows(
    con,
    "raw.activities",
    rows.map((a) => [exportId, a.activityId, text(a.activityType), text(a.subject), tsIso(a.date), text(a.owner), text(a.organiser)]),
  );
  await appendRows(con, "raw.activity_accounts", rows.flatMap((a) => a.accountIds.map((id, i) => [exportId, a.activityId, text(id), text(a.accounts[i])])));
  await appendRows(
    con,
    "raw.activity_opportunities",
    rows.flatMap((a) => a.opportunityIds.map((id, i) => [exportId, a.activityId, text(id), text(a.opportunities[i])])),
  );
  await appendRows(con, "raw.activity_participants", normaliseActivityParticipants(file).map((p) => [exportId, p.activityId, text(p.name), text(p.email), p.isInternal]));
  return rows.length;
}
