/**
 * The tables clari_query answers from: fixed names, snake_case, documented in docs/QUERY.md and
 * served as clari://schema. Times are TIMESTAMPTZ in UTC, days DATE, money DOUBLE. This list is
 * the one source of the DDL, the schema resource and the schema hints given with an SQL error.
 */

export interface ContractColumn {
  name: string;
  type: string;
  note?: string;
}

export interface ContractTable {
  name: string;
  about: string;
  columns: ContractColumn[];
  /**
   * Not in the shared generation files: made on each query's own connection, holding only the rows
   * its caller may see (mcp_calls, see worker/calls-table.ts).
   */
  perCaller?: true;
}

const c = (name: string, type: string, note?: string): ContractColumn => (note ? { name, type, note } : { name, type });

export const CONTRACT: readonly ContractTable[] = [
  {
    name: "exports",
    about: "One row per stored export.",
    columns: [
      c("export_id", "VARCHAR", "the Clari jobId"),
      c("kind", "VARCHAR", "forecast | audit | activity"),
      c("forecast_id", "VARCHAR"),
      c("time_period", "VARCHAR", "e.g. 2026_Q4"),
      c("types", "VARCHAR[]", "typesToExport"),
      c("include_historical", "BOOLEAN"),
      c("scope_id", "VARCHAR"),
      c("currency", "VARCHAR"),
      c("finished_at", "TIMESTAMPTZ"),
      c("row_count", "BIGINT", "rows in forecast, audit_events or activities"),
    ],
  },
  {
    name: "people",
    about: "Everyone in a forecast export's hierarchy.",
    columns: [
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
    ],
  },
  {
    name: "reports_to",
    about: "Every leader-member pair of a forecast export's hierarchy.",
    columns: [c("export_id", "VARCHAR"), c("leader_user_id", "VARCHAR"), c("user_id", "VARCHAR"), c("depth", "INTEGER", ">= 1; 1 = direct report")],
  },
  {
    name: "forecast",
    about: "One row per person, field and week of a forecast export. A leader's number is their own call, never a sum.",
    columns: [
      c("export_id", "VARCHAR"),
      c("forecast_id", "VARCHAR"),
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
      c("crm_total", "DOUBLE"),
      c("crm_closed", "DOUBLE"),
      c("currency", "VARCHAR"),
    ],
  },
  {
    name: "audit_events",
    about: "Audit events from audit exports and the audit pages read (de-duplicated).",
    columns: [
      c("event_id", "VARCHAR", "derived from the event's content"),
      c("event_time", "TIMESTAMPTZ"),
      c("actor_id", "VARCHAR"),
      c("actor_name", "VARCHAR"),
      c("actor_email", "VARCHAR"),
      c("actor_type", "VARCHAR", "USER, SYSTEM or JOB"),
      c("impersonating_actor_id", "VARCHAR"),
      c("event", "VARCHAR", "e.g. api.accessed"),
      c("event_parameters", "JSON"),
      c("session_type", "VARCHAR", "WEB, IOS or ANDROID"),
      c("ip_address", "VARCHAR"),
      c("session_id", "VARCHAR"),
      c("correlation_id", "VARCHAR"),
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

/** `name(col TYPE, ...)`: one line per table, for error hints and the tool's schema text. */
export function tableSignature(table: ContractTable): string {
  return `${table.name}(${table.columns.map((col) => `${col.name} ${col.type}`).join(", ")})`;
}

/** The contract as Markdown (clari://schema). */
export function contractMarkdown(): string {
  const out = [
    "# clari_query tables",
    "",
    "DuckDB SQL over everything this server has stored for its credential. Times are TIMESTAMPTZ in UTC, days DATE, money DOUBLE.",
    "",
  ];
  for (const table of CONTRACT) {
    out.push(`## ${table.name}`, "", table.about, "", "| column | type | note |", "| --- | --- | --- |");
    for (const col of table.columns) out.push(`| ${col.name} | ${col.type} | ${col.note ?? ""} |`);
    out.push("");
  }
  return out.join("\n");
}

/** The schema an SQL error concerns: the signatures of the tables the query names, else every table's name. */
export function schemaHint(sql: string): string {
  const named = CONTRACT.filter((t) => new RegExp(`\\b${t.name}\\b`, "i").test(sql));
  if (named.length === 0) return `Tables: ${CONTRACT_TABLE_NAMES.join(", ")} (columns: read clari://schema).`;
  return `Columns of the tables it names:\n${named.map(tableSignature).join("\n")}`;
}
