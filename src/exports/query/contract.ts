/**
 * The tables clari_query answers from: fixed names, snake_case, documented in docs/QUERY.md and
 * served as clari://schema (contract-markdown.ts renders both). Times are TIMESTAMPTZ in UTC, days
 * DATE, money DOUBLE. This list is the one source of the DDL, the schema resource and the schema
 * hints given with an SQL error; the named metrics are in metrics.ts.
 */
import { EVENT_CLASS_RULE } from "../read/audit-params.js";
import { SETTLING_DAYS } from "../read/weeks.js";

export interface ContractColumn {
  name: string;
  type: string;
  note?: string;
}

export interface ContractTable {
  name: string;
  about: string;
  columns: ContractColumn[];
  /** A view with exactly the columns of another table (documented once, there). */
  sameColumnsAs?: string;
  /**
   * Not in the shared generation files: made on each query's own connection, holding only the rows
   * its caller may see (mcp_calls, see worker/calls-table.ts).
   */
  perCaller?: true;
}

const c = (name: string, type: string, note?: string): ContractColumn => (note ? { name, type, note } : { name, type });

const NEWEST = "the newest export of each tab (forecast_id), period and currency, a company-wide one before any scoped one (scope_id)";

const PEOPLE: ContractColumn[] = [
  c("export_id", "VARCHAR"),
  c("user_id", "VARCHAR", "Clari userId (CRM user id, else email, in CSV/flat exports)"),
  c("name", "VARCHAR"),
  c("email", "VARCHAR"),
  c("role", "VARCHAR", "hierarchy node"),
  c("manager_user_id", "VARCHAR"),
  c("manager_name", "VARCHAR"),
  c("level", "INTEGER", "0 = the export's root (CRO, or the scope's root)"),
  c("is_rep", "BOOLEAN", "no direct reports"),
  c("crm_user_id", "VARCHAR"),
  c("parent_role", "VARCHAR"),
  c("region", "VARCHAR", "top-level team: the role of the person's level-1 leader (themselves at level 1) after its last ' - ' ('VP Sales - West' -> 'West'), else that whole role; NULL at level 0"),
];

const REPORTS_TO: ContractColumn[] = [c("export_id", "VARCHAR"), c("leader_user_id", "VARCHAR"), c("user_id", "VARCHAR"), c("depth", "INTEGER", ">= 1; 1 = direct report")];

const FORECAST: ContractColumn[] = [
  c("export_id", "VARCHAR"),
  c("forecast_id", "VARCHAR", "the tab, e.g. net_bookings"),
  c("time_period", "VARCHAR", "e.g. 2026_Q4"),
  c("week", "INTEGER", "1 = the quarter's first week"),
  c("week_start", "DATE"),
  c("is_latest_week", "BOOLEAN", "the export's latest week"),
  c("user_id", "VARCHAR"),
  c("field", "VARCHAR", "as Clari names it: Commit, Best Case, Quota..."),
  c("value", "DOUBLE", "the person's own number (the quota for a quota field)"),
  c("adjustment", "DOUBLE", "the manager's adjusted number"),
  c("updated", "BOOLEAN", "forecast updated this week"),
  c("updated_by", "VARCHAR"),
  c("updated_on", "TIMESTAMPTZ"),
  c("adjusted_by", "VARCHAR"),
  c("adjusted_on", "TIMESTAMPTZ"),
  c("week_end", "DATE"),
  c("crm_total", "DOUBLE", "exports never carry it: see crm_totals"),
  c("crm_closed", "DOUBLE", "exports never carry it: see crm_totals"),
  c("currency", "VARCHAR"),
  c("is_complete_week", "BOOLEAN", "the week had ended when the export was taken"),
  c("updated_by_name", "VARCHAR", "from the export's hierarchy"),
  c("adjusted_by_name", "VARCHAR", "from the export's hierarchy"),
];

export const CONTRACT: readonly ContractTable[] = [
  {
    name: "exports",
    about: "One row per stored export.",
    columns: [
      c("export_id", "VARCHAR", "the Clari jobId"),
      c("kind", "VARCHAR", "forecast, audit or activity"),
      c("forecast_id", "VARCHAR"),
      c("time_period", "VARCHAR", "e.g. 2026_Q4"),
      c("types", "VARCHAR[]", "typesToExport"),
      c("include_historical", "BOOLEAN"),
      c("scope_id", "VARCHAR"),
      c("currency", "VARCHAR"),
      c("finished_at", "TIMESTAMPTZ"),
      c("row_count", "BIGINT", "rows in forecast, audit_events or activities"),
      c("is_current", "BOOLEAN", `its rows are in forecast, people and reports_to (${NEWEST}); always true for audit and activity exports`),
    ],
  },
  {
    name: "people",
    about: `Everyone in the hierarchy of each export in forecast (${NEWEST}). One hierarchy per export: join on export_id, or filter on one, to count people once.`,
    columns: PEOPLE,
  },
  { name: "people_all", about: "people of every stored forecast export (join forecast_all on export_id).", columns: PEOPLE, sameColumnsAs: "people" },
  { name: "reports_to", about: `Every leader-member pair of the hierarchy of each export in forecast (${NEWEST}).`, columns: REPORTS_TO },
  { name: "reports_to_all", about: "reports_to of every stored forecast export.", columns: REPORTS_TO, sameColumnsAs: "reports_to" },
  {
    name: "forecast",
    about:
      `One row per person, field and week of ${NEWEST}: an older export of the same tab, period and currency is replaced, never added. ` +
      "A leader's number is their own call, never a sum. Filter on forecast_id and time_period, or use the named metrics.",
    columns: FORECAST,
  },
  { name: "forecast_all", about: "The rows of every stored forecast export, older ones included: filter on export_id.", columns: FORECAST, sameColumnsAs: "forecast" },
  {
    name: "forecast_weeks",
    about: "One row per export in forecast, period and week: which weeks are complete and which a hygiene question should use.",
    columns: [
      c("forecast_id", "VARCHAR"),
      c("time_period", "VARCHAR"),
      c("currency", "VARCHAR"),
      c("export_id", "VARCHAR"),
      c("week", "INTEGER"),
      c("week_start", "DATE"),
      c("week_end", "DATE"),
      c("is_latest_week", "BOOLEAN"),
      c("is_complete_week", "BOOLEAN", "the week had ended when the export was taken"),
      c("for_hygiene", "BOOLEAN", `the week to ask who updated or adjusted: the latest that began at least ${SETTLING_DAYS} days before the export was taken (calls are due early in the week), else the latest`),
      c("export_finished_at", "TIMESTAMPTZ"),
    ],
  },
  {
    name: "crm_totals",
    about:
      "CRM Total and CRM Closed per person, field and week, from clari_get_forecast reads (Clari serves them only there, one week per read; exports cannot carry them). " +
      "The newest read of each tab, period, week, person, field and currency; past quarters' reads included.",
    columns: [
      c("forecast_id", "VARCHAR"),
      c("time_period", "VARCHAR"),
      c("currency", "VARCHAR"),
      c("week", "INTEGER"),
      c("week_start", "DATE"),
      c("week_end", "DATE"),
      c("user_id", "VARCHAR"),
      c("name", "VARCHAR"),
      c("level", "INTEGER"),
      c("is_rep", "BOOLEAN"),
      c("region", "VARCHAR"),
      c("manager_user_id", "VARCHAR"),
      c("field", "VARCHAR"),
      c("crm_total", "DOUBLE", "the CRM's total of the field's category"),
      c("crm_closed", "DOUBLE", "closed won so far"),
      c("quota", "DOUBLE", "the person's quota in the same read"),
      c("scope_id", "VARCHAR"),
      c("read_at", "TIMESTAMPTZ"),
    ],
  },
  {
    name: "audit_events",
    about: "Audit events from audit exports and the audit pages read (de-duplicated), with their parameters as columns.",
    columns: [
      c("event_id", "VARCHAR", "derived from the event's content"),
      c("event_time", "TIMESTAMPTZ"),
      c("actor_id", "VARCHAR"),
      c("actor_name", "VARCHAR"),
      c("actor_email", "VARCHAR"),
      c("actor_type", "VARCHAR", "USER, SYSTEM or JOB"),
      c("impersonating_actor_id", "VARCHAR"),
      c("event", "VARCHAR", "e.g. forecast.updated"),
      c("event_parameters", "JSON", "as Clari sent them"),
      c("session_type", "VARCHAR", "WEB, IOS or ANDROID"),
      c("ip_address", "VARCHAR"),
      c("session_id", "VARCHAR"),
      c("correlation_id", "VARCHAR"),
      c("event_class", "VARCHAR", `change, view, session or system: ${EVENT_CLASS_RULE}`),
      c("is_change", "BOOLEAN", "event_class = 'change'"),
      c("forecast_id", "VARCHAR", "the tab the event concerns (parameter forecastId)"),
      c("time_period", "VARCHAR", "parameter timePeriod"),
      c("target_user_id", "VARCHAR", "whose forecast or record changed (parameter userId)"),
      c("target_name", "VARCHAR", "that person's name, from the stored hierarchies"),
      c("field", "VARCHAR", "parameter fieldName"),
      c("old_value", "VARCHAR", "parameter oldValue: the value before this change"),
      c("new_value", "VARCHAR", "parameter newValue: the value after it (an export's value is the call when the export was taken)"),
      c("change", "DOUBLE", "new_value - old_value when both are numbers"),
    ],
  },
  {
    name: "activities",
    about: "Activity export records, de-duplicated by activity_id.",
    columns: [
      c("activity_id", "VARCHAR"),
      c("activity_type", "VARCHAR", "MEETING, EMAIL_SENT, EMAIL_RECEIVED, ATTACHMENT_SENT, ATTACHMENT_RECEIVED"),
      c("subject", "VARCHAR"),
      c("activity_time", "TIMESTAMPTZ"),
      c("owner_id", "VARCHAR", "CRM user id"),
      c("organiser_id", "VARCHAR", "CRM user id"),
    ],
  },
  { name: "activity_accounts", about: "Accounts of each activity.", columns: [c("activity_id", "VARCHAR"), c("account_id", "VARCHAR"), c("account_name", "VARCHAR")] },
  {
    name: "activity_opportunities",
    about: "Opportunities of each activity.",
    columns: [c("activity_id", "VARCHAR"), c("opportunity_id", "VARCHAR"), c("opportunity_name", "VARCHAR")],
  },
  {
    name: "activity_participants",
    about: "Participants of each activity.",
    columns: [c("activity_id", "VARCHAR"), c("name", "VARCHAR"), c("email", "VARCHAR"), c("is_internal", "BOOLEAN")],
  },
  {
    name: "opportunities",
    about: "The latest lookup of each opportunity read with clari_get_opportunities.",
    columns: [
      c("opportunity_id", "VARCHAR"),
      c("name", "VARCHAR"),
      c("account_name", "VARCHAR"),
      c("stage", "VARCHAR"),
      c("amount", "DOUBLE"),
      c("close_date", "DATE"),
      c("owner_id", "VARCHAR", "the owner field as Clari gives it"),
      c("score", "DOUBLE", "Clari's crmScore"),
      c("score_message", "VARCHAR"),
      c("fetched_at", "TIMESTAMPTZ"),
    ],
  },
  {
    name: "opportunity_fields",
    about: "Every field of every opportunity lookup.",
    columns: [
      c("opportunity_id", "VARCHAR"),
      c("fetched_at", "TIMESTAMPTZ"),
      c("field_id", "VARCHAR"),
      c("field", "VARCHAR", "the field's alias"),
      c("value", "VARCHAR", "as text"),
      c("trend", "VARCHAR"),
    ],
  },
  {
    name: "mcp_calls",
    about: "The audit trail: one row per tool call made on this server, newest 50,000 (kept --audit-days). Without the admin permission, only your own calls.",
    perCaller: true,
    columns: [
      c("call_id", "VARCHAR", "unique; sorts as the calls were made"),
      c("called_at", "TIMESTAMPTZ"),
      c("caller", "VARCHAR", "a static token's name, <sub>@<issuer> for a signed-in person, empty for stdio"),
      c("caller_name", "VARCHAR", "the person's email or name, when the token has it"),
      c("tool", "VARCHAR"),
      c("arguments", "JSON", "secrets removed; cut at 4 KB"),
      c("outcome", "VARCHAR", "ok | error"),
      c("error", "VARCHAR", "the error's first line"),
      c("quota_spent", "INTEGER", "exports the call queued (monthly quota and the caller's budget)"),
      c("duration_ms", "INTEGER"),
    ],
  },
];

/** A table's columns as DDL (`name TYPE, ...`). */
export function columnsDdl(table: ContractTable): string {
  return table.columns.map((col) => `${col.name} ${col.type}`).join(", ");
}

export const CONTRACT_TABLE_NAMES: readonly string[] = CONTRACT.map((t) => t.name);

export function contractTable(name: string): ContractTable {
  const table = CONTRACT.find((t) => t.name === name);
  if (!table) throw new Error(`no contract table ${name}`);
  return table;
}

/** `name(col TYPE, ...)`: one line per table, for error hints and the tool's schema text. */
export function tableSignature(table: ContractTable): string {
  return `${table.name}(${table.columns.map((col) => `${col.name} ${col.type}`).join(", ")})`;
}

/** The schema an SQL error concerns: the signatures of the tables the query names, else every table's name. */
export function schemaHint(sql: string): string {
  const named = CONTRACT.filter((t) => new RegExp(`\\b${t.name}\\b`, "i").test(sql));
  if (named.length === 0) return `Tables: ${CONTRACT_TABLE_NAMES.join(", ")} (columns and named metrics: read clari://schema).`;
  return `Columns of the tables it names:\n${named.map(tableSignature).join("\n")}`;
}
