/**
 * Hierarchy levels of a forecast export: level 0 is the top (a role whose parent role is not in
 * the export), level 1 reports to it, and so on, following each person's role -> parentRole chain
 * (the tables shape resolves parentHierarchyId into parentRole when it reads the file).
 *
 * A manager's call is their own number for their whole team, so the people of one level cover the
 * same business as the level above: a level's sum is meaningful, a sum over levels counts the
 * same deals twice. Summaries therefore total per level and never across levels.
 */
import type { ForecastTable } from "../table/forecast-table.js";

export const MAX_LEVELS = 12;

export interface HierarchyLevel {
  level: number;
  /** What the level's roles have in common ("VP Sales"), or its one role ("CRO"). */
  label: string;
  /** Distinct people (by userId, email or name). */
  people: number;
  roles: number;
  /** The person's name when the level holds exactly one. */
  user?: string;
}

export interface HierarchyLevels {
  /** Level per person code; -1 for a person without a role (not placed in any level). */
  personLevel: Int32Array;
  levels: HierarchyLevel[];
  /** Levels deeper than MAX_LEVELS - 1 are folded into the last one. */
  folded: boolean;
  unplacedPeople: number;
}

/** The part of a role name before " - " ("VP Sales - West" -> "VP Sales"), or the name. */
function roleKind(role: string): string {
  return role.split(" - ")[0]!.replace(/[\s\d.]+$/, "").trim() || role;
}

function levelLabel(roles: string[]): string {
  if (roles.length === 1) return roles[0]!;
  const kinds = [...new Set(roles.map(roleKind))].sort();
  return kinds.length <= 2 ? kinds.join(" / ") : `${kinds.slice(0, 2).join(" / ")} and others`;
}

/** Levels of the people flagged in `seen` (every person when omitted). */
export function hierarchyLevels(table: ForecastTable, seen?: Uint8Array): HierarchyLevels {
  const roleOf = table.personColumn("role");
  const parentOf = table.personColumn("parentRole");
  const emptyRole = table.roles.lookup("");
  const parent = new Map<number, number>();
  for (let p = 0; p < table.personCount; p++) {
    if (seen && !seen[p]) continue;
    const r = roleOf[p] as number;
    if (r === emptyRole) continue;
    const pr = parentOf[p] as number;
    if (!parent.has(r) || parent.get(r) === emptyRole) parent.set(r, pr);
  }

  const depth = new Map<number, number>();
  const depthOf = (role: number): number => {
    const known = depth.get(role);
    if (known !== undefined) return known;
    // Walk up to a known depth or the top; a cycle ends the walk where it closes.
    const chain: number[] = [];
    const onChain = new Set<number>();
    let at: number | undefined = role;
    let base = -1;
    while (at !== undefined && !onChain.has(at)) {
      const d = depth.get(at);
      if (d !== undefined) {
        base = d;
        break;
      }
      chain.push(at);
      onChain.add(at);
      const up = parent.get(at);
      at = up !== undefined && up !== emptyRole && parent.has(up) ? up : undefined;
    }
    for (let k = chain.length - 1; k >= 0; k--) depth.set(chain[k] as number, ++base);
    return depth.get(role) as number;
  };

  const personLevel = new Int32Array(table.personCount).fill(-1);
  const identities = new Map<number, Set<string>>();
  const rolesAt = new Map<number, Set<number>>();
  const names = new Map<number, string>();
  let folded = false;
  const unplaced = new Set<string>();
  for (let p = 0; p < table.personCount; p++) {
    if (seen && !seen[p]) continue;
    const person = table.person(p);
    const identity = person.userId || person.email.toLowerCase() || person.user;
    const r = roleOf[p] as number;
    if (r === emptyRole) {
      unplaced.add(identity);
      continue;
    }
    let level = depthOf(r);
    if (level >= MAX_LEVELS) {
      level = MAX_LEVELS - 1;
      folded = true;
    }
    personLevel[p] = level;
    let ids = identities.get(level);
    if (!ids) identities.set(level, (ids = new Set()));
    ids.add(identity);
    let roles = rolesAt.get(level);
    if (!roles) rolesAt.set(level, (roles = new Set()));
    roles.add(r);
    names.set(level, person.user);
  }

  const levels = [...identities.keys()]
    .sort((a, b) => a - b)
    .map((level): HierarchyLevel => {
      const people = identities.get(level)!.size;
      const roles = [...rolesAt.get(level)!].map((r) => table.roles.get(r));
      return { level, label: levelLabel(roles), people, roles: roles.length, ...(people === 1 ? { user: names.get(level) } : {}) };
    });
  return { personLevel, levels, folded, unplacedPeople: unplaced.size };
}
