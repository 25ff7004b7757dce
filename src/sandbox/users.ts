/**
 * The seeded sales hierarchy: one CRO, VPs by region, managers under VPs, reps under managers.
 * Every user holds exactly one role (hierarchy node) and role names are unique.
 */
import { Rng, rngFor } from "./random.js";

export type UserLevel = "CRO" | "VP" | "MANAGER" | "REP";

export interface SandboxUser {
  /** Position in org.users (parents always come before their reports). */
  index: number;
  /** Clari forecast user id, e.g. `280627:00E4M000001RgqRUAS`. */
  userId: string;
  /** Numeric Clari user id as a string, used as the audit actorId. */
  actorId: string;
  name: string;
  email: string;
  /** 18-character CRM (Salesforce) user id, e.g. `005110000069tRpAAI`. */
  crmId: string;
  scopeId: string; // e.g. "1905::MGR"
  hierarchyId: string;
  hierarchyName: string; // the role, e.g. "Sales Rep - West 1.3"
  parentHierarchyId: string; // "" for the CRO
  parentHierarchyName: string; // "" for the CRO
  managerUserId: string | null;
  region: string | null;
  level: UserLevel;
  /** Indexes of direct reports. */
  reports: number[];
  /** Index of the manager, -1 for the CRO. */
  managerIndex: number;
}

export const REGIONS = [
  "West",
  "East",
  "Central",
  "North",
  "South",
  "EMEA",
  "APAC",
  "LATAM",
  "Canada",
  "ANZ",
  "DACH",
  "Nordics",
] as const;

export const FIRST_NAMES = [
  "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sophia", "Lucas", "Isabella", "Ethan",
  "Mia", "Aiden", "Amelia", "Samuel", "Harper", "Leo", "Evelyn", "Kai", "Abigail", "Omar",
  "Priya", "Arjun", "Mei", "Hiro", "Fatima", "Diego", "Chloe", "Jamal", "Nora", "Tariq",
  "Elena", "Marco", "Yuki", "Ravi", "Grace", "Felix", "Zara", "Owen", "Lena", "Caleb",
  "Ingrid", "Mateus", "Aisha", "Connor", "Sofia", "Dmitri", "Hannah", "Ibrahim", "Julia", "Kenji",
];

export const LAST_NAMES = [
  "Turner", "Lewis", "Martin", "Nguyen", "Patel", "Garcia", "Kim", "Johnson", "Okafor", "Silva",
  "Rossi", "Novak", "Fischer", "Haddad", "Tanaka", "Kowalski", "Murphy", "Chen", "Dubois", "Larsen",
  "Singh", "Alvarez", "Brooks", "Cohen", "Diaz", "Evans", "Foster", "Gupta", "Hughes", "Ito",
  "Jensen", "Khan", "Lopez", "Moreau", "Nakamura", "Olsen", "Park", "Quinn", "Reyes", "Schmidt",
];

export interface OrgIdentity {
  orgId: number;
  orgName: string;
  domain: string;
}

const ORG_NAMES = [
  "Northwind Analytics",
  "Bluepeak Systems",
  "Lumen Cloudworks",
  "Harbor Data",
  "Quartzline Software",
  "Redwood Metrics",
  "Stratus Labs",
  "Tidewater Tech",
];

export function makeIdentity(seed: number): OrgIdentity {
  const r = rngFor(seed, "org");
  const orgName = r.pick(ORG_NAMES);
  return {
    orgId: r.int(100000, 999999),
    orgName,
    domain: `${orgName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.example`,
  };
}

interface Layout {
  vps: number;
  managers: number;
  reps: number;
}

export function layoutFor(total: number): Layout {
  const n = Math.max(1, Math.floor(total));
  const vps = n > 1 ? Math.min(n - 1, Math.max(1, Math.min(REGIONS.length, Math.round(Math.sqrt(n) / 2)))) : 0;
  const managers = Math.min(n - 1 - vps, Math.max(vps, Math.round(n / 7)));
  return { vps, managers, reps: n - 1 - vps - managers };
}

export function generateUsers(seed: number, total: number, identity: OrgIdentity): SandboxUser[] {
  const { vps, managers, reps } = layoutFor(total);
  const r = rngFor(seed, "users");
  const usedIds = new Set<string>();
  const usedEmails = new Set<string>();
  const users: SandboxUser[] = [];

  const uniqueId = (make: (rng: Rng) => string): string => {
    for (;;) {
      const id = make(r);
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };

  const add = (level: UserLevel, role: string, managerIndex: number, region: string | null): SandboxUser => {
    const index = users.length;
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    let local = `${first}.${last}`.toLowerCase();
    for (let k = 2; usedEmails.has(local); k++) local = `${first}.${last}${k}`.toLowerCase();
    usedEmails.add(local);
    const manager = managerIndex >= 0 ? users[managerIndex] : undefined;
    const hierarchyId = String(1900 + index);
    const user: SandboxUser = {
      index,
      userId: `${identity.orgId}:${uniqueId((g) => g.sfid("00E"))}`,
      actorId: String(10001 + index),
      name: `${first} ${last}`,
      email: `${local}@${identity.domain}`,
      crmId: uniqueId((g) => g.sfid("005")),
      scopeId: `${hierarchyId}::MGR`,
      hierarchyId,
      hierarchyName: role,
      parentHierarchyId: manager ? manager.hierarchyId : "",
      parentHierarchyName: manager ? manager.hierarchyName : "",
      managerUserId: manager ? manager.userId : null,
      region,
      level,
      reports: [],
      managerIndex,
    };
    users.push(user);
    if (manager) manager.reports.push(index);
    return user;
  };

  add("CRO", "CRO", -1, null);

  const vpIndex: number[] = [];
  for (let v = 0; v < vps; v++) {
    const region = REGIONS[v] ?? `Region ${v + 1}`;
    vpIndex.push(add("VP", `VP Sales - ${region}`, 0, region).index);
  }

  // Managers round-robin over VPs; number them within their region.
  const mgrIndex: number[] = [];
  const mgrNumber: number[] = [];
  const perRegion = new Array<number>(vps).fill(0);
  for (let m = 0; m < managers; m++) {
    const v = m % vps;
    const region = REGIONS[v] ?? `Region ${v + 1}`;
    const k = (perRegion[v] = (perRegion[v] ?? 0) + 1);
    mgrIndex.push(add("MANAGER", `Manager - ${region} ${k}`, vpIndex[v] ?? 0, region).index);
    mgrNumber.push(k);
  }

  // Reps round-robin over managers (or VPs / the CRO in tiny orgs).
  const perParent = new Map<number, number>();
  for (let i = 0; i < reps; i++) {
    let parent: number;
    let prefix: string;
    let region: string | null;
    if (managers > 0) {
      const m = i % managers;
      parent = mgrIndex[m] ?? 0;
      region = users[parent]?.region ?? null;
      prefix = `Sales Rep - ${region} ${mgrNumber[m] ?? 0}.`;
    } else if (vps > 0) {
      const v = i % vps;
      parent = vpIndex[v] ?? 0;
      region = users[parent]?.region ?? null;
      prefix = `Sales Rep - ${region} 0.`;
    } else {
      parent = 0;
      region = null;
      prefix = "Sales Rep ";
    }
    const k = (perParent.get(parent) ?? 0) + 1;
    perParent.set(parent, k);
    add("REP", `${prefix}${k}`, parent, region);
  }
  return users;
}

/** The user and everyone below them, in org order. */
export function subtree(users: readonly SandboxUser[], rootIndex: number): SandboxUser[] {
  const out: SandboxUser[] = [];
  const stack = [rootIndex];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const u = users[i];
    if (!u || seen.has(i)) continue;
    seen.add(i);
    out.push(u);
    for (const c of u.reports) stack.push(c);
  }
  return out.sort((a, b) => a.index - b.index);
}
