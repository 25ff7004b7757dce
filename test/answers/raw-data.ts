/**
 * The sandbox's raw HTTP answers, read with fetch and computed on by hand: what the answers of
 * clari_query are checked against. Nothing here goes through the server's readers or its engine.
 */
import type { Sandbox } from "../../src/sandbox/index.js";
import { API_KEY } from "../helpers/clari.js";

export interface RawUser {
  userId: string;
  name: string;
  email: string;
  hierarchyId: string;
  hierarchyName: string;
  parentHierarchyId: string;
}
export interface RawEntry {
  userId: string;
  fieldId: string;
  timePeriodId: string;
  timeFrameId: string;
  forecastValue?: number;
  quotaValue?: number;
  adjustmentValue?: number;
  aggregationTotal?: number;
  closedTotal?: number;
  isUpdated?: boolean;
  updatedBy?: string;
  adjustedBy?: string;
}
export interface RawTables {
  entries: RawEntry[];
  users: RawUser[];
  fields: Array<{ fieldId: string; fieldName: string; fieldType: string }>;
  timeFrames: Array<{ timeFrameId: string; startDate: string; endDate: string }>;
}
export interface RawAuditItem {
  correlationID?: string;
  actorId: string;
  actorType?: string;
  impersonatingActorId: string | null;
  event: string;
  eventTimestamp: string;
  eventParameters?: Record<string, unknown>;
}
export interface RawAudit {
  items: RawAuditItem[];
  actors: Record<string, { actorId: string; name: string; email: string }>;
}
export interface RawActivity {
  activityId: string;
  activityType: string;
  date: number;
  accounts: Array<{ accountId: string; accountName: string }>;
  opportunities: Array<{ opportunityId: string; opportunityName: string }>;
  participants: Array<{ name: string; email: string; isInternal: boolean }>;
}
export interface RawOpportunity {
  id: string;
  crmScore?: { score?: number; message?: string };
  fields: Array<{ id: string; alias: string; value: unknown }>;
}

async function get<T>(sandbox: Sandbox, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${sandbox.v4Url}${pathAndQuery}`, { headers: { apikey: API_KEY } });
  if (!res.ok) throw new Error(`${pathAndQuery}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const exportResults = <T>(sandbox: Sandbox, jobId: string): Promise<T> => get<T>(sandbox, `/export/jobs/${jobId}/results`);
/** The synchronous forecast read (current week), with every data type. */
export const forecastRead = (sandbox: Sandbox, forecastId: string, timePeriod?: string): Promise<RawTables> =>
  get<RawTables>(
    sandbox,
    `/forecast/${forecastId}?${["forecast", "quota", "forecast_updated", "crm_total", "crm_closed"].map((t) => `typesToExport=${t}`).join("&")}${timePeriod ? `&timePeriod=${timePeriod}` : ""}`,
  );
/** One audit page (limit, and more query parameters such as dateTo). */
export const auditPage = (sandbox: Sandbox, limit: number, more: Record<string, string> = {}): Promise<RawAudit> =>
  get<RawAudit>(sandbox, `/audit/events?${new URLSearchParams({ limit: String(limit), ...more }).toString()}`);
export const opportunities = (sandbox: Sandbox, ids: string[]): Promise<RawOpportunity[]> =>
  get<RawOpportunity[] | { opportunities: RawOpportunity[] }>(sandbox, `/opportunity?${ids.map((id) => `oppId=${encodeURIComponent(id)}`).join("&")}`).then((r) =>
    Array.isArray(r) ? r : r.opportunities,
  );

/** A forecast export, indexed for the hand computations. */
export class Forecast {
  readonly fieldName = new Map<string, string>();
  readonly latestFrame: string;
  readonly frames: string[];
  constructor(readonly raw: RawTables) {
    for (const f of raw.fields) this.fieldName.set(f.fieldId, f.fieldName);
    const start = new Map(raw.timeFrames.map((t) => [t.timeFrameId, t.startDate]));
    this.frames = [...new Set(raw.entries.map((e) => e.timeFrameId))].sort((a, b) => String(start.get(a)).localeCompare(String(start.get(b))));
    this.latestFrame = this.frames[this.frames.length - 1]!;
  }
  startOf(frame: string): string {
    return this.raw.timeFrames.find((t) => t.timeFrameId === frame)!.startDate;
  }
  user(predicate: (u: RawUser) => boolean): RawUser {
    const found = this.raw.users.find(predicate);
    if (!found) throw new Error("no such user in the export");
    return found;
  }
  entry(userId: string, field: string, frame = this.latestFrame): RawEntry | undefined {
    return this.raw.entries.find((e) => e.userId === userId && this.fieldName.get(e.fieldId) === field && e.timeFrameId === frame);
  }
  /** A person's own number for a field: the forecast value, or the quota value for a quota field. */
  value(userId: string, field: string, frame = this.latestFrame): number | undefined {
    const e = this.entry(userId, field, frame);
    return e?.forecastValue ?? e?.quotaValue;
  }
  reports(user: RawUser): RawUser[] {
    return this.raw.users.filter((u) => u.parentHierarchyId === user.hierarchyId && u.hierarchyId !== user.hierarchyId);
  }
  team(user: RawUser): RawUser[] {
    return this.reports(user).flatMap((r) => [r, ...this.team(r)]);
  }
  level(user: RawUser): number {
    let depth = 0;
    for (let u: RawUser | undefined = user; u && u.parentHierarchyId; u = this.raw.users.find((p) => p.hierarchyId === u!.parentHierarchyId)) depth += 1;
    return depth;
  }
  /** The user of a userId. */
  byId(userId: string): RawUser {
    return this.user((u) => u.userId === userId);
  }
  /** The level-1 leader above a user (themselves at level 1), undefined for the root. */
  vpOf(user: RawUser): RawUser | undefined {
    let u: RawUser | undefined = user;
    while (u && this.level(u) > 1) u = this.raw.users.find((p) => p.hierarchyId === u!.parentHierarchyId);
    return u && this.level(u) === 1 ? u : undefined;
  }
  managers(): RawUser[] {
    return this.raw.users.filter((u) => this.reports(u).length > 0);
  }
  reps(): RawUser[] {
    return this.raw.users.filter((u) => this.reports(u).length === 0);
  }
}

export function fieldValue(o: RawOpportunity, alias: string): unknown {
  return o.fields.find((f) => f.alias === alias)?.value;
}
