/**
 * Activities (meetings, emails, attachments) mapped to accounts and opportunities, and the queued
 * POST /export/activity whose results are {activities:[...]}.
 */
import { DAY_MS, compactDateTime } from "./calendar.js";
import type { Account, Opportunity } from "./crm.js";
import { sellers } from "./crm.js";
import { activityError } from "./errors.js";
import { queueExport } from "./export.js";
import { isPlainObject, parseJsonBody } from "./http-util.js";
import { rngFor } from "./random.js";
import type { Reply, RequestContext } from "./types.js";
import { FIRST_NAMES, LAST_NAMES, type SandboxUser } from "./users.js";

export const ACTIVITY_TYPES = ["MEETING", "EMAIL_SENT", "EMAIL_RECEIVED", "ATTACHMENT_SENT", "ATTACHMENT_RECEIVED"] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface Participant {
  name: string;
  email: string;
  sfdcUserId: string;
  isInternal: boolean;
}

export interface Activity {
  activityId: string;
  activityType: ActivityType;
  subject: string;
  date: number; // epoch ms
  activityOwnerId: string;
  activityOrganiserId: string;
  accounts: Array<{ accountId: string; accountName: string; accountOwnerId: string }>;
  opportunities: Array<{ opportunityId: string; opportunityName: string; opportunityOwnerId: string }>;
  participants: Participant[];
}

/** Activities reach this far back from the anchor day, and this far ahead (scheduled meetings). */
export const ACTIVITY_DAYS_BACK = 120;
export const ACTIVITY_DAYS_AHEAD = 14;

const MEETING_SUBJECTS = ["{a} <> {o} Sync", "{a} QBR", "Discovery call: {a}", "{a} pricing review", "Demo for {a}"];
const EMAIL_SUBJECTS = ["Re: Proposal for {a}", "Next steps with {o}", "Re: Security questionnaire", "Contract redlines", "Follow-up from our call"];
const ATTACHMENT_SUBJECTS = ["{a} - Order Form.pdf", "{o} Security Overview.pdf", "{a} QBR deck.pptx", "Pricing - {a}.xlsx"];

export function generateActivities(
  seed: number,
  users: readonly SandboxUser[],
  accounts: readonly Account[],
  opportunities: readonly Opportunity[],
  anchorDay: number,
  orgName: string,
): Activity[] {
  const r = rngFor(seed, "activities");
  const count = Math.max(300, Math.min(users.length * 15, 30_000));
  const owners = sellers(users);
  const oppsByAccount = new Map<string, Opportunity[]>();
  for (const o of opportunities) {
    let list = oppsByAccount.get(o.accountId);
    if (!list) oppsByAccount.set(o.accountId, (list = []));
    list.push(o);
  }
  const byOwner = new Map<number, Account[]>();
  for (const a of accounts) {
    let list = byOwner.get(a.ownerIndex);
    if (!list) byOwner.set(a.ownerIndex, (list = []));
    list.push(a);
  }
  const start = anchorDay - ACTIVITY_DAYS_BACK * DAY_MS;
  const end = anchorDay + (ACTIVITY_DAYS_AHEAD + 1) * DAY_MS;
  const out: Activity[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.weighted(ACTIVITY_TYPES, [30, 30, 25, 8, 7]);
    const owner = owners[r.int(0, owners.length - 1)] as SandboxUser;
    const owned = byOwner.get(owner.index) ?? [];
    const account = owned.length > 0 && r.chance(0.9) ? r.pick(owned) : r.pick(accounts);
    const opp = r.chance(0.7) ? r.pick(oppsByAccount.get(account.accountId) ?? [null]) : null;
    const externals: Participant[] = [];
    for (let k = 0, n = r.int(1, 3); k < n; k++) {
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      externals.push({
        name: `${first} ${last}`,
        email: `${first[0]?.toLowerCase() ?? "x"}${last.toLowerCase()}@${account.domain}`,
        sfdcUserId: "",
        isInternal: false,
      });
    }
    const internal: Participant = { name: owner.name, email: owner.email, sfdcUserId: owner.crmId, isInternal: true };
    const participants = [internal, ...externals];
    const manager = owner.managerIndex >= 0 ? users[owner.managerIndex] : undefined;
    if (type === "MEETING" && manager && r.chance(0.25)) {
      participants.push({ name: manager.name, email: manager.email, sfdcUserId: manager.crmId, isInternal: true });
    }
    const received = type === "EMAIL_RECEIVED" || type === "ATTACHMENT_RECEIVED";
    const templates = type === "MEETING" ? MEETING_SUBJECTS : type.startsWith("EMAIL") ? EMAIL_SUBJECTS : ATTACHMENT_SUBJECTS;
    const accountShort = account.accountName.replace(/ Inc\.$/, "");
    // Meetings may be scheduled ahead; mail and files are in the past.
    const latest = type === "MEETING" ? end : anchorDay + DAY_MS;
    const date = Math.floor(r.range(start, latest) / 60_000) * 60_000;
    out.push({
      activityId: r.hex(32),
      activityType: type,
      subject: r.pick(templates).replace("{a}", accountShort).replace("{o}", orgName),
      date,
      activityOwnerId: owner.crmId,
      activityOrganiserId: received ? r.sfid("003") : owner.crmId,
      accounts: [{ accountId: account.accountId, accountName: account.accountName, accountOwnerId: account.accountOwnerId }],
      opportunities: opp
        ? [{ opportunityId: opp.oppId, opportunityName: opp.name, opportunityOwnerId: opp.ownerCrmId }]
        : [],
      participants,
    });
  }
  out.sort((a, b) => a.date - b.date || (a.activityId < b.activityId ? -1 : 1));
  return out;
}

export interface ActivityFilters {
  types: ReadonlySet<ActivityType>;
  /** Inclusive start, exclusive end (epoch ms); null = unbounded. */
  from: number | null;
  to: number | null;
}

export function matchesActivity(a: Activity, f: ActivityFilters): boolean {
  if (!f.types.has(a.activityType)) return false;
  if (f.from !== null && a.date < f.from) return false;
  if (f.to !== null && a.date >= f.to) return false;
  return true;
}

/**
 * "Date and timezone provided will only be considered and not the time": the bound is the start
 * of that calendar date in the given offset (endDate: the start of the following day).
 */
export function parseActivityDate(s: string, end: boolean): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s.trim());
  if (!m) return null;
  let offset = m[2] ?? "Z";
  if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${m[1]}T00:00:00${offset.toUpperCase() === "Z" ? "Z" : offset}`);
  if (Number.isNaN(ms)) return null;
  return end ? ms + DAY_MS : ms;
}

/** POST /export/activity */
export function exportActivity(ctx: RequestContext): Reply {
  const state = ctx.state;
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok || (parsed.value !== undefined && !isPlainObject(parsed.value))) {
    return activityError(state, 400, "The request body was malformed.");
  }
  const body = (parsed.value ?? {}) as Record<string, unknown>;
  let types: ActivityType[] = [...ACTIVITY_TYPES];
  if (body.activityTypes !== undefined && body.activityTypes !== null) {
    const raw = body.activityTypes;
    if (!Array.isArray(raw) || !raw.every((t) => typeof t === "string")) {
      return activityError(state, 400, "activityTypes must be a list of strings.");
    }
    const invalid = (raw as string[]).filter((t) => !(ACTIVITY_TYPES as readonly string[]).includes(t));
    if (invalid.length > 0) {
      return activityError(
        state,
        400,
        `Invalid activityTypes: [${invalid.join(", ")}]. Supported activityTypes are [${ACTIVITY_TYPES.join(", ")}].`,
      );
    }
    if (raw.length > 0) types = raw as ActivityType[];
  }
  const bound = (key: "startDate" | "endDate"): number | null | "invalid" => {
    const v = body[key];
    if (v === undefined || v === null || v === "") return null;
    if (typeof v !== "string") return "invalid";
    return parseActivityDate(v, key === "endDate") ?? "invalid";
  };
  const from = bound("startDate");
  const to = bound("endDate");
  if (from === "invalid") return activityError(state, 400, "startDate must be an ISO-8601 date-time, e.g. 2023-03-10T00:00:00Z.");
  if (to === "invalid") return activityError(state, 400, "endDate must be an ISO-8601 date-time, e.g. 2023-03-21T00:00:00Z.");
  if (from !== null && to !== null && from >= to) return activityError(state, 400, "startDate must be before endDate.");
  if (body.exportFormat !== undefined && body.exportFormat !== null && body.exportFormat !== "JSON") {
    return activityError(state, 400, "exportFormat must be JSON.");
  }
  const filters: ActivityFilters = { types: new Set(types), from, to };
  const org = state.org;
  return queueExport(
    ctx,
    {
      module: "ACTIVITY",
      title: "Activity Export",
      fileName: `clari_export_activity_${compactDateTime(ctx.now)}.json`,
      fileType: "JSON",
      currency: "USD",
      produce: () => ({
        contentType: "application/json",
        body: JSON.stringify({ activities: org.activities().filter((a) => matchesActivity(a, filters)) }),
      }),
    },
    202,
  );
}
