/**
 * The hierarchy of a forecast export or read, from each person's role and parent role: managers,
 * levels, reps and regions. Pure (no DuckDB), so a synchronous forecast read can be placed in
 * its hierarchy when it is kept, without loading the query engine.
 */
import type { ForecastPerson } from "../table/forecast-row.js";
import type { ForecastTable } from "../table/forecast-table.js";

export interface Person {
  userId: string;
  p: ForecastPerson;
  manager: number | undefined;
  level: number;
  isRep: boolean;
  /** The person's top-level team under the root (see regionOf); null for the root. */
  region: string | null;
}

/** The key a person is known by in the query tables: Clari's userId, else the CRM id, email or name. */
export function personKey(p: ForecastPerson): string {
  return p.userId || p.crmUserId || p.email || p.user;
}

/**
 * A region from the role of a level-1 leader (a direct report of the root): the text after the
 * role's last " - " ("VP Sales - West" -> "West"), else the whole role ("EMEA" -> "EMEA").
 */
export function regionOf(role: string): string | null {
  const cut = role.lastIndexOf(" - ");
  const name = (cut >= 0 ? role.slice(cut + 3) : role).trim();
  return name === "" ? null : name;
}

/** One entry per user (the first tuple seen), with manager, level, whether they lead anyone and their region. */
export function hierarchy(table: ForecastTable): { people: Person[]; personOf: Int32Array } {
  const people: Person[] = [];
  const index = new Map<string, number>();
  const personOf = new Int32Array(table.personCount);
  for (let code = 0; code < table.personCount; code++) {
    const p = table.person(code);
    const key = personKey(p);
    let i = index.get(key);
    if (i === undefined) {
      i = people.length;
      index.set(key, i);
      people.push({ userId: key, p, manager: undefined, level: 0, isRep: true, region: null });
    }
    personOf[code] = i;
  }
  const byRole = new Map<string, number>();
  people.forEach((person, i) => {
    if (person.p.role !== "" && !byRole.has(person.p.role)) byRole.set(person.p.role, i);
  });
  for (const person of people) {
    const parent = person.p.parentRole;
    const m = parent !== "" && parent !== person.p.role ? byRole.get(parent) : undefined;
    if (m !== undefined && people[m] !== person) {
      person.manager = m;
      (people[m] as Person).isRep = false;
    }
  }
  // Levels from the root down, and the level-1 leader above each person; a cycle (bad data) is cut where it closes.
  for (const person of people) {
    let level = 0;
    let top: Person = person;
    const seen = new Set<Person>([person]);
    for (let m = person.manager; m !== undefined; m = people[m]?.manager) {
      const up = people[m] as Person;
      if (seen.has(up)) break;
      seen.add(up);
      level++;
      if (up.manager !== undefined) top = up;
    }
    person.level = level;
    person.region = level === 0 ? null : regionOf(top.p.role);
  }
  return { people, personOf };
}

/** Every leader-member pair, with the member's depth below the leader (1 = a direct report). */
export function* reportsTo(people: Person[]): Generator<[leader: string, member: string, depth: number]> {
  for (const person of people) {
    const seen = new Set<Person>([person]);
    let depth = 1;
    for (let m = person.manager; m !== undefined; m = people[m]?.manager, depth++) {
      const leader = people[m] as Person;
      if (seen.has(leader)) break;
      seen.add(leader);
      yield [leader.userId, person.userId, depth];
    }
  }
}
