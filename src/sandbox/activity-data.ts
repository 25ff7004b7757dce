/**
 * Activity data: seeded meetings, emails and attachments mapped to accounts and opportunities,
 * anchored to the UTC day of the clock at start, and the filter the export applies. No HTTP here.
 * An activity references an opportunity of its account that is open at the activity's date
 * (created by then, not yet closed), later-stage deals more often; opportunity scores are then
 * derived from these activities (crm.ts `applyEngagement`).
 */
import { DAY_MS, isoDate } from "./calendar.js";
import type { Account, Opportunity } from "./crm.js";
import { sellers } from "./crm.js";
import { rngFor } from "./random.js";
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

const CLOSED: ReadonlySet<string> = new Set(["Closed Won", "Closed Lost"]);

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
  const count = Math.max(400, Math.min(users.length * 25, 40_000));
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
    // Some meetings are scheduled ahead; the rest, and all mail and files, are in the past, denser
    // towards the anchor day (deals are worked more as they age).
    const past = anchorDay + DAY_MS;
    const at = type === "MEETING" && r.chance(0.12) ? r.range(anchorDay, end) : past - (past - start) * (1 - r.next()) ** 2;
    const date = Math.floor(at / 60_000) * 60_000;
    const day = isoDate(date);
    const live = (oppsByAccount.get(account.accountId) ?? []).filter(
      (o) => o.createdDate <= day && (!CLOSED.has(o.stage) || day <= o.closeDate),
    );
    const opp = live.length > 0 && r.chance(0.75) ? r.weighted(live, live.map((o) => 10 + o.probability)) : null;
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
