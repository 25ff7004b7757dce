/**
 * The people of a forecast table: one code per distinct (user, email, crmUserId, userId, role,
 * parentRole) tuple, each attribute itself a code in its string dictionary, so a row names its
 * person with one number.
 */

import { growU32, type StringDictionary } from "./dictionaries.js";
import type { ForecastPerson } from "./forecast-row.js";

const PERSON_ATTRS = ["user", "email", "crmUserId", "userId", "role", "parentRole"] as const;
export type PersonAttr = (typeof PERSON_ATTRS)[number];

/** The string dictionaries a person's attributes are coded in (role and parentRole share one). */
export interface PersonDictionaries {
  users: StringDictionary;
  emails: StringDictionary;
  crmUserIds: StringDictionary;
  userIds: StringDictionary;
  roles: StringDictionary;
}

const tupleKey = (p: ForecastPerson): string => `${p.user}\u0000${p.email}\u0000${p.crmUserId}\u0000${p.userId}\u0000${p.role}\u0000${p.parentRole}`;

export class PersonTuples {
  private attrs: Record<PersonAttr, Uint32Array<ArrayBuffer>> = {
    user: new Uint32Array(64),
    email: new Uint32Array(64),
    crmUserId: new Uint32Array(64),
    userId: new Uint32Array(64),
    role: new Uint32Array(64),
    parentRole: new Uint32Array(64),
  };
  private count_ = 0;
  /** The tuple's key -> code; left out while posted to another thread (dropIndex). */
  private index: Map<string, number> | undefined = new Map<string, number>();

  constructor(private readonly d: PersonDictionaries) {}

  get count(): number {
    return this.count_;
  }

  /** Interns a person tuple and returns its code. */
  intern(p: ForecastPerson): number {
    const key = tupleKey(p);
    const index = (this.index ??= this.rebuiltIndex());
    let code = index.get(key);
    if (code !== undefined) return code;
    code = this.count_++;
    index.set(key, code);
    this.ensureCapacity(code + 1);
    this.set(code, p);
    return code;
  }

  /** Leaves the tuple index out until it is next needed (StringDictionary.dropIndex). */
  dropIndex(): void {
    this.index = undefined;
  }

  private rebuiltIndex(): Map<string, number> {
    const index = new Map<string, number>();
    for (let code = 0; code < this.count_; code++) {
      const key = tupleKey(this.get(code));
      if (!index.has(key)) index.set(key, code);
    }
    return index;
  }

  /** Replaces the attributes of an existing person (used to resolve userIds into names). */
  set(code: number, p: ForecastPerson): void {
    const a = this.attrs;
    a.user[code] = this.d.users.intern(p.user);
    a.email[code] = this.d.emails.intern(p.email);
    a.crmUserId[code] = this.d.crmUserIds.intern(p.crmUserId);
    a.userId[code] = this.d.userIds.intern(p.userId);
    a.role[code] = this.d.roles.intern(p.role);
    a.parentRole[code] = this.d.roles.intern(p.parentRole);
  }

  private ensureCapacity(n: number): void {
    const a = this.attrs;
    if (n <= a.user.length) return;
    for (const k of PERSON_ATTRS) a[k] = growU32(a[k], n);
  }

  get(code: number): ForecastPerson {
    const a = this.attrs;
    return {
      user: this.d.users.get(a.user[code] ?? 0),
      email: this.d.emails.get(a.email[code] ?? 0),
      crmUserId: this.d.crmUserIds.get(a.crmUserId[code] ?? 0),
      userId: this.d.userIds.get(a.userId[code] ?? 0),
      role: this.d.roles.get(a.role[code] ?? 0),
      parentRole: this.d.roles.get(a.parentRole[code] ?? 0),
    };
  }

  /** Per-person attribute codes (length = count), for tight loops. */
  column(attr: PersonAttr): Uint32Array {
    return this.attrs[attr].subarray(0, this.count_);
  }
}
