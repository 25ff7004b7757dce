/**
 * Seeded CRM records: accounts and opportunities owned by the org's sellers.
 * Used by the opportunity API and by activities (which map to accounts and opportunities).
 * An opportunity's crmScore and lastActivityDate are not seeded: `applyEngagement` derives them
 * from the activities that reference it, its stage, close date and close-date pushes.
 */
import { DAY_MS, isoDate } from "./calendar.js";
import { rngFor } from "./random.js";
import type { SandboxUser } from "./users.js";

export interface Account {
  accountId: string; // 001...
  accountName: string;
  accountOwnerId: string; // owner's CRM id
  ownerIndex: number;
  domain: string;
}

export interface TrendPoint {
  oldValue: unknown;
  newValue: unknown;
  date: number; // epoch ms
}

export interface Opportunity {
  oppId: string; // 006...
  name: string;
  accountId: string;
  accountName: string;
  ownerCrmId: string;
  ownerName: string;
  ownerIndex: number;
  amount: number;
  stage: string;
  forecastCategory: string;
  probability: number;
  closeDate: string; // YYYY-MM-DD
  createdDate: string;
  /** The day of the latest activity before the scoring day; null when it has none. */
  lastActivityDate: string | null;
  nextStep: string;
  crmScore: { score: number; message: string };
  history: { amount: TrendPoint[]; stage: TrendPoint[]; closeDate: TrendPoint[] };
}

const COMPANY_A = [
  "Data", "Blue", "Summit", "Iron", "Silver", "Nova", "Bright", "Cedar", "Pixel", "Vertex",
  "Atlas", "Orbit", "Maple", "Granite", "Coral", "Delta", "Echo", "Falcon", "Harbor", "Juniper",
];
const COMPANY_B = [
  "Pulse", "Forge", "Works", "Logic", "Stream", "Grid", "Wave", "Point", "Labs", "Systems",
  "Dynamics", "Networks", "Health", "Retail", "Bank", "Energy", "Foods", "Motors", "Media", "Robotics",
];
const PRODUCTS = ["Platform", "Enterprise", "Analytics", "Add-on Seats", "Premium Support", "Expansion"];
const OPP_KINDS = ["New Business", "Renewal", "Upsell", "Expansion"];

export const STAGES = [
  { stage: "Prospecting", probability: 10, category: "Pipeline" },
  { stage: "Qualification", probability: 20, category: "Pipeline" },
  { stage: "Needs Analysis", probability: 35, category: "Pipeline" },
  { stage: "Proposal", probability: 55, category: "Best Case" },
  { stage: "Negotiation", probability: 75, category: "Commit" },
  { stage: "Closed Won", probability: 100, category: "Closed" },
  { stage: "Closed Lost", probability: 0, category: "Omitted" },
] as const;

const NEXT_STEPS = [
  "Send revised proposal",
  "Security review with IT",
  "Exec sponsor call",
  "Legal redlines",
  "Pricing approval",
  "Technical deep dive",
  "Schedule demo for finance team",
  "",
];

export const SCORE_MESSAGES = {
  won: "Opportunity is won",
  lost: "Opportunity is lost",
  pastNoActivity: "No activity and close date in the past",
  past: "Close date in the past",
  noActivity: "No activity in the last 30 days",
  pushed: "Close date pushed recently",
  strong: "Strong engagement from the buying committee",
  healthy: "Healthy activity in the last 14 days",
  low: "Low engagement in the last 30 days",
} as const;

export function sellers(users: readonly SandboxUser[]): SandboxUser[] {
  const reps = users.filter((u) => u.level === "REP");
  return reps.length > 0 ? reps : [...users];
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

export function generateAccounts(seed: number, users: readonly SandboxUser[]): Account[] {
  const r = rngFor(seed, "accounts");
  const owners = sellers(users);
  const count = clamp(users.length * 4, 60, 20_000);
  const used = new Set<string>();
  const usedNames = new Map<string, number>();
  const out: Account[] = [];
  for (let i = 0; i < count; i++) {
    let id = r.sfid("001");
    while (used.has(id)) id = r.sfid("001");
    used.add(id);
    const base = `${r.pick(COMPANY_A)} ${r.pick(COMPANY_B)}`;
    const seen = usedNames.get(base) ?? 0;
    usedNames.set(base, seen + 1);
    const name = seen === 0 ? `${base} Inc.` : `${base} ${seen + 1} Inc.`;
    const owner = owners[i % owners.length] as SandboxUser;
    out.push({
      accountId: id,
      accountName: name,
      accountOwnerId: owner.crmId,
      ownerIndex: owner.index,
      domain: `${name.toLowerCase().replace(/ inc\.$/, "").replace(/[^a-z0-9]+/g, "")}.example`,
    });
  }
  return out;
}

export function generateOpportunities(
  seed: number,
  users: readonly SandboxUser[],
  accounts: readonly Account[],
  anchorDay: number,
): Opportunity[] {
  const r = rngFor(seed, "opportunities");
  const count = clamp(users.length * 8, 200, 20_000);
  const used = new Set<string>();
  const out: Opportunity[] = [];
  for (let i = 0; i < count; i++) {
    let oppId = r.sfid("006");
    while (used.has(oppId)) oppId = r.sfid("006");
    used.add(oppId);
    const account = accounts[r.int(0, accounts.length - 1)] as Account;
    const owner = users[account.ownerIndex] as SandboxUser;
    const st = r.weighted(STAGES, [14, 14, 14, 16, 14, 16, 12]);
    const amount = Math.round(r.range(8_000, 450_000) / 100) * 100;
    const created = anchorDay - r.int(20, 240) * DAY_MS;
    const closed = st.stage === "Closed Won" || st.stage === "Closed Lost";
    // A closed deal closed after it was created and before today.
    const close = closed
      ? Math.min(anchorDay - DAY_MS, Math.max(created + 14 * DAY_MS, anchorDay - r.int(1, 90) * DAY_MS))
      : anchorDay + r.int(-10, 150) * DAY_MS;

    // A short change history: amount, stage and close date moves.
    const amountHist: TrendPoint[] = [];
    const stageHist: TrendPoint[] = [];
    const closeHist: TrendPoint[] = [];
    let t = created;
    let prevAmount = Math.round((amount * r.range(0.6, 1.4)) / 100) * 100;
    for (let k = 0, moves = r.int(0, 3); k < moves; k++) {
      t += r.int(3, 25) * DAY_MS;
      const next = k === moves - 1 ? amount : Math.round((amount * r.range(0.7, 1.3)) / 100) * 100;
      amountHist.push({ oldValue: prevAmount, newValue: next, date: Math.min(t, anchorDay) });
      prevAmount = next;
    }
    const stageIdx = STAGES.findIndex((s) => s.stage === st.stage);
    const path: string[] =
      st.stage === "Closed Lost"
        ? [...STAGES.slice(0, r.int(1, 5)).map((s) => s.stage), st.stage]
        : STAGES.slice(0, stageIdx + 1).map((s) => s.stage);
    for (let k = Math.max(1, path.length - 2); k < path.length; k++) {
      stageHist.push({ oldValue: path[k - 1], newValue: path[k], date: Math.min(created + k * 9 * DAY_MS, anchorDay) });
    }
    let pushes = 0;
    if (r.chance(0.35)) {
      pushes = r.int(1, 3);
      let c = close - pushes * 14 * DAY_MS;
      for (let k = 0; k < pushes; k++) {
        closeHist.push({ oldValue: isoDate(c), newValue: isoDate(c + 14 * DAY_MS), date: Math.min(created + (k + 2) * 11 * DAY_MS, anchorDay) });
        c += 14 * DAY_MS;
      }
    }

    out.push({
      oppId,
      name: `${account.accountName.replace(/ Inc\.$/, "")} - ${r.pick(PRODUCTS)} ${r.pick(OPP_KINDS)}`,
      accountId: account.accountId,
      accountName: account.accountName,
      ownerCrmId: owner.crmId,
      ownerName: owner.name,
      ownerIndex: owner.index,
      amount,
      stage: st.stage,
      forecastCategory: st.category,
      probability: st.probability,
      closeDate: isoDate(close),
      createdDate: isoDate(created),
      lastActivityDate: null,
      nextStep: closed ? "" : r.pick(NEXT_STEPS),
      crmScore: { score: 0, message: "" }, // set by applyEngagement
      history: { amount: amountHist, stage: stageHist, closeDate: closeHist },
    });
  }
  return out;
}

/** What the score reads from an opportunity's activities (all dated before the scoring day). */
export interface Engagement {
  /** Activities in the 30 days before the scoring day. */
  last30: number;
  /** Epoch ms of the latest activity before the scoring day, or null. */
  latest: number | null;
}

/**
 * Clari-style deal score as of 00:00 UTC of `day`. Closed deals: 100 won, 0 lost. Open deals add
 * stage probability, recency of the latest activity and the number of activities in the last 30
 * days, take 5 per close-date push, and halve when the close date is already past; every input
 * moves the score one way only. The message names the strongest reason, in this order: past
 * close date (with or without activity), no activity in 30 days, a push in the last 30 days,
 * strong engagement (3+ activities, the latest within 14 days, stage Proposal or later),
 * activity within 14 days, else low engagement.
 */
export function scoreOpportunity(o: Opportunity, e: Engagement, day: number): { score: number; message: string } {
  if (o.stage === "Closed Won") return { score: 100, message: SCORE_MESSAGES.won };
  if (o.stage === "Closed Lost") return { score: 0, message: SCORE_MESSAGES.lost };
  const daysSince = e.latest === null ? Infinity : (day - e.latest) / DAY_MS;
  const recency = daysSince <= 7 ? 40 : daysSince <= 14 ? 30 : daysSince <= 30 ? 15 : 0;
  const volume = Math.min(e.last30, 5) * 4;
  const pushes = o.history.closeDate.length;
  const pastClose = o.closeDate < isoDate(day);
  let score = 10 + o.probability * 0.4 + recency + volume - pushes * 5;
  if (pastClose) score *= 0.5;
  const recentPush = o.history.closeDate.some((p) => p.date >= day - 30 * DAY_MS);
  const message = pastClose
    ? e.last30 === 0
      ? SCORE_MESSAGES.pastNoActivity
      : SCORE_MESSAGES.past
    : e.last30 === 0
      ? SCORE_MESSAGES.noActivity
      : recentPush
        ? SCORE_MESSAGES.pushed
        : daysSince <= 14 && e.last30 >= 3 && o.probability >= 55
          ? SCORE_MESSAGES.strong
          : daysSince <= 14
            ? SCORE_MESSAGES.healthy
            : SCORE_MESSAGES.low;
  return { score: clamp(Math.round(score), 1, 99), message };
}

/**
 * Set each opportunity's crmScore and lastActivityDate from the activities that reference it,
 * counting only activities dated before `day` (00:00 UTC of the clock's day at start): the score
 * is a nightly one, so today's and scheduled activities count from tomorrow.
 */
export function applyEngagement(
  opportunities: Opportunity[],
  activities: ReadonlyArray<{ date: number; opportunities: ReadonlyArray<{ opportunityId: string }> }>,
  day: number,
): void {
  const byOpp = new Map<string, Engagement>();
  for (const a of activities) {
    if (a.date >= day) continue;
    for (const ref of a.opportunities) {
      let e = byOpp.get(ref.opportunityId);
      if (!e) byOpp.set(ref.opportunityId, (e = { last30: 0, latest: null }));
      if (a.date >= day - 30 * DAY_MS) e.last30++;
      if (e.latest === null || a.date > e.latest) e.latest = a.date;
    }
  }
  for (const o of opportunities) {
    const e = byOpp.get(o.oppId) ?? { last30: 0, latest: null };
    o.lastActivityDate = e.latest === null ? null : isoDate(e.latest);
    o.crmScore = scoreOpportunity(o, e, day);
  }
}
