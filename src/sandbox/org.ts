/**
 * The seeded org: users and hierarchy, forecast tabs and fields, canonical forecast entries,
 * audit events, activities, accounts and opportunities. Deterministic from the seed (and, for
 * date-anchored records, the day of the clock at start). Large collections are built lazily.
 */
import { type Activity, generateActivities } from "./activity-data.js";
import { type AuditActor, type AuditData, type AuditEvent, auditWindow, generateAudit } from "./audit-data.js";
import { type ResolvedPeriod, type Week, resolvePeriod, startOfDay, weeksSoFar } from "./calendar.js";
import { type Account, type Opportunity, applyEngagement, generateAccounts, generateOpportunities } from "./crm.js";
import {
  type CanonicalEntry,
  type ForecastEntriesOptions,
  type ForecastField,
  type ForecastTab,
  FORECAST_FIELDS,
  FORECAST_TABS,
  ForecastModel,
} from "./forecast-data.js";
import { type SandboxUser, generateUsers, makeIdentity } from "./users.js";

export interface SandboxOrg {
  seed: number;
  orgId: number;
  orgName: string;
  domain: string;
  /** Every user, CRO first, parents before their reports. */
  users: SandboxUser[];
  /** The user the API token belongs to (the CRO); jobs carry its numeric id. */
  apiUser: SandboxUser;
  forecastTabs: readonly ForecastTab[];
  fields: readonly ForecastField[];
  forecast: ForecastModel;
  user(userId: string): SandboxUser | undefined;
  /** The current quarter, e.g. "2026_Q4". */
  currentTimePeriod(asOf?: number): string;
  /** How the API reads a timePeriod parameter (unparseable, future or too old -> current quarter). */
  resolveTimePeriod(timePeriod: string | undefined, asOf?: number): ResolvedPeriod;
  /** The weeks of the (resolved) quarter that have begun by asOf. */
  weeks(timePeriod: string | undefined, asOf?: number): Week[];
  /** Canonical, unformatted forecast data; every export result shape is built from this. */
  forecastEntries(forecastId: string, timePeriod: string | undefined, opts?: ForecastEntriesOptions): CanonicalEntry[];
  /** Audit events, newest first (`time` is epoch ms and not part of the API output). */
  auditEvents(): AuditEvent[];
  auditActors(): AuditActor[];
  audit(): AuditData;
  activities(): Activity[];
  accounts(): Account[];
  opportunities(): Opportunity[];
  opportunityIndex(): ReadonlyMap<string, Opportunity>;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

export function createOrg(seed: number, userCount: number, now: () => number): SandboxOrg {
  const identity = makeIdentity(seed);
  const users = generateUsers(seed, userCount, identity);
  const byId = new Map(users.map((u) => [u.userId, u]));
  const forecast = new ForecastModel(seed, users);
  const anchorDay = startOfDay(now());
  const accounts = lazy(() => generateAccounts(seed, users));
  // Activities reference opportunities; the opportunities' scores then follow from those activities.
  const crm = lazy(() => {
    const opps = generateOpportunities(seed, users, accounts(), anchorDay);
    const acts = generateActivities(seed, users, accounts(), opps, anchorDay, identity.orgName);
    applyEngagement(opps, acts, anchorDay);
    return { opps, acts };
  });
  const opportunities = (): Opportunity[] => crm().opps;
  const activities = (): Activity[] => crm().acts;
  const opportunityIndex = lazy(() => new Map(opportunities().map((o) => [o.oppId, o])));
  // Forecast events in the audit log are the forecast model's own week-over-week changes.
  const audit = lazy(() => {
    const { start, end } = auditWindow(anchorDay);
    return generateAudit(seed, users, anchorDay, {
      tabs: FORECAST_TABS.map((t) => t.forecastId),
      changes: forecast.changes(start, end - 1),
      oppIds: opportunities().map((o) => o.oppId),
    });
  });

  return {
    seed,
    ...identity,
    users,
    apiUser: users[0] as SandboxUser,
    forecastTabs: FORECAST_TABS,
    fields: FORECAST_FIELDS,
    forecast,
    user: (userId) => byId.get(userId),
    currentTimePeriod: (asOf = now()) => resolvePeriod(undefined, asOf).timePeriodId,
    resolveTimePeriod: (timePeriod, asOf = now()) => resolvePeriod(timePeriod, asOf),
    weeks: (timePeriod, asOf = now()) => weeksSoFar(resolvePeriod(timePeriod, asOf), asOf),
    forecastEntries: (forecastId, timePeriod, opts = {}) =>
      forecast.select(forecastId, timePeriod, { ...opts, asOf: opts.asOf ?? now() }).entries,
    auditEvents: () => audit().events,
    auditActors: () => [...audit().actors.values()],
    audit,
    activities,
    accounts,
    opportunities,
    opportunityIndex,
  };
}
