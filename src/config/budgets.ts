/**
 * Export budgets: how many exports (Clari jobs, each spending a unit of the org's monthly quota) a
 * caller may queue per day, week or month. `--export-budget "20/day"` is everyone's; the mapping
 * file (`--oauth-scopes-file`) may override it per permission and per caller:
 *
 *   "budgets": {
 *     "permissions": { "admin": "100/day", "export": "20/day" },
 *     "callers": { "alice@example.com": "50/week", "ci": "unlimited", "00u1ab@login.example.com": "5/day" }
 *   }
 *
 * A caller entry matches the caller id (`<sub>@<issuer>` for a signed-in person, the name of a
 * static token), or the person's email; it wins over everything. Otherwise the first permission
 * entry, in the order written, that the caller holds applies; otherwise --export-budget; without
 * any of them exports are unlimited. Periods are calendar periods in UTC: a day from midnight, a
 * week from Monday, a month from the 1st, so every replica agrees on when a budget refills.
 */
import { isScope, SCOPES, type Scope } from "./scopes.js";

export const BUDGET_PERIODS = ["day", "week", "month"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A number of exports per period; `units` 0 means no exports at all. */
export interface BudgetLimit {
  units: number;
  period: BudgetPeriod;
}

/** undefined: unlimited. */
export type BudgetRule = BudgetLimit | undefined;

export interface BudgetSettings {
  /** --export-budget: everyone's, unless overridden (undefined: unlimited). */
  everyone: BudgetRule;
  /** In the order written: the first one the caller holds applies. */
  permissions: Array<{ permission: Scope; rule: BudgetRule }>;
  /** By caller id or email. */
  callers: Map<string, BudgetRule>;
}

export const NO_BUDGETS: BudgetSettings = { everyone: undefined, permissions: [], callers: new Map() };

export class BudgetConfigError extends Error {
  override readonly name = "BudgetConfigError";
}

const MAX_UNITS = 1_000_000;

/** "20/day", "5/week", "100/month" or "unlimited". */
export function parseBudget(text: string, where: string): BudgetRule {
  const value = text.trim().toLowerCase();
  if (value === "unlimited") return undefined;
  const match = /^(\d{1,7})\s*\/\s*(day|week|month)$/.exec(value);
  const units = Number(match?.[1]);
  if (!match || units > MAX_UNITS) throw new BudgetConfigError(`${where} must be a number of exports per day, week or month, such as "20/day", "100/week" or "unlimited" (got ${JSON.stringify(text)}).`);
  return { units, period: match[2] as BudgetPeriod };
}

export function budgetText(rule: BudgetRule): string {
  return rule ? `${rule.units}/${rule.period}` : "unlimited";
}

/** The "budgets" section of the mapping file (undefined when the file has none). */
export function parseBudgetOverrides(value: unknown, where: string): Pick<BudgetSettings, "permissions" | "callers"> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BudgetConfigError(`${where}: "budgets" must be an object such as {"permissions": {"admin": "100/day"}, "callers": {"alice@example.com": "50/week"}}.`);
  const section = value as Record<string, unknown>;
  const unknown = Object.keys(section).filter((k) => k !== "permissions" && k !== "callers");
  if (unknown.length) throw new BudgetConfigError(`${where}: "budgets" has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}; it takes "permissions" and "callers".`);
  const permissions: BudgetSettings["permissions"] = [];
  for (const [permission, text] of entries(section.permissions, `${where}: budgets.permissions`)) {
    if (!isScope(permission)) throw new BudgetConfigError(`${where}: budgets.permissions names ${JSON.stringify(permission)}; the permissions are ${SCOPES.join(", ")}.`);
    permissions.push({ permission, rule: parseBudget(text, `${where}: budgets.permissions.${permission}`) });
  }
  const callers = new Map<string, BudgetRule>();
  for (const [caller, text] of entries(section.callers, `${where}: budgets.callers`)) {
    if (!/^[\x21-\x7e]{1,320}$/.test(caller)) throw new BudgetConfigError(`${where}: budgets.callers has a key that is not a caller id, token name or email (${JSON.stringify(caller.slice(0, 40))}).`);
    callers.set(caller, parseBudget(text, `${where}: budgets.callers.${caller}`));
  }
  return { permissions, callers };
}

function entries(value: unknown, where: string): Array<[string, string]> {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BudgetConfigError(`${where} must be an object of name: "N/day|week|month" or "unlimited".`);
  return Object.entries(value).map(([key, text]) => {
    if (typeof text !== "string") throw new BudgetConfigError(`${where}.${key} must be a string such as "20/day" or "unlimited".`);
    return [key, text];
  });
}

/** Who is asking, as far as budgets go. */
export interface BudgetCaller {
  /** The caller id (a static token's name, `<sub>@<issuer>`); undefined for stdio's one user. */
  caller: string | undefined;
  email?: string | undefined;
  /** The caller's permissions; undefined: every one (stdio). */
  permissions: readonly string[] | undefined;
}

/** Whose budget a call spends, and its limit; undefined when the caller's exports are unlimited. */
export interface CallerBudget {
  /** The key budgets are counted under: the caller id ("" for stdio's one user). */
  holder: string;
  limit: BudgetLimit;
}

export function budgetFor(settings: BudgetSettings, who: BudgetCaller): CallerBudget | undefined {
  const holder = who.caller ?? "";
  const rule = pick(settings, who);
  return rule ? { holder, limit: rule } : undefined;
}

function pick(settings: BudgetSettings, who: BudgetCaller): BudgetRule {
  if (who.caller !== undefined && settings.callers.has(who.caller)) return settings.callers.get(who.caller);
  if (who.email && settings.callers.has(who.email)) return settings.callers.get(who.email);
  const held = settings.permissions.find((p) => who.permissions === undefined || who.permissions.includes(p.permission));
  return held ? held.rule : settings.everyone;
}

/** A budget's current period: its key (the same on every replica) and when it began and ends (epoch ms, UTC). */
export interface BudgetWindow {
  key: string;
  start: number;
  end: number;
}

export function budgetWindow(period: BudgetPeriod, now: number = Date.now()): BudgetWindow {
  const d = new Date(now);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  let start: number;
  let end: number;
  if (period === "day") {
    start = Date.UTC(y, m, day);
    end = Date.UTC(y, m, day + 1);
  } else if (period === "week") {
    const sinceMonday = (d.getUTCDay() + 6) % 7;
    start = Date.UTC(y, m, day - sinceMonday);
    end = Date.UTC(y, m, day - sinceMonday + 7);
  } else {
    start = Date.UTC(y, m, 1);
    end = Date.UTC(y, m + 1, 1);
  }
  return { key: `${period}:${new Date(start).toISOString().slice(0, 10)}`, start, end };
}

/** The settings from --export-budget's value and the mapping file's "budgets" section (either may be absent). */
export function loadBudgetSettings(everyone: string | undefined, file: { json: Record<string, unknown>; where: string } | undefined): BudgetSettings {
  const overrides = file?.json.budgets === undefined ? { permissions: [], callers: new Map<string, BudgetRule>() } : parseBudgetOverrides(file.json.budgets, file.where);
  return { everyone: everyone ? parseBudget(everyone, "--export-budget (CLARI_MCP_EXPORT_BUDGET)") : undefined, ...overrides };
}
