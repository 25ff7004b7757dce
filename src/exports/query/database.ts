/**
 * The query tables' schema: raw tables the server's writer fills, the contract's views over them
 * and the named metrics' macros, created in a new generation file (generations.ts); later
 * generations are copies. Imported on the first query only: DuckDB never loads at start-up.
 */
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { contractTable, type ContractColumn } from "./contract.js";
import { FORECAST_RAW_TABLES, forecastView } from "./load-forecast.js";
import { METRIC_HELPERS, metricMacros } from "./metrics.js";

/** The catalog the tables live in (the assistant's default): every generation file is named after it. */
export const CATALOG = "clari";

const ddl = (columns: readonly ContractColumn[]): string => columns.map((c) => `${c.name} ${c.type}`).join(", ");
const columnsOf = (name: string, except: readonly string[] = []): ContractColumn[] => contractTable(name).columns.filter((c) => !except.includes(c.name));
const list = (name: string, except: readonly string[] = [], alias = ""): string => columnsOf(name, except).map((c) => `${alias}${c.name}`).join(", ");

/** Raw tables (each row carries its source: an export's jobId, "pages", or a read). */
const RAW_TABLES: Record<string, string> = {
  "raw.exports": ddl(columnsOf("exports", ["is_current"])),
  "raw.people": ddl(columnsOf("people")),
  "raw.reports_to": ddl(columnsOf("reports_to")),
  "raw.audit_rows": `source VARCHAR, ${ddl(columnsOf("audit_events", ["target_name"]))}`,
  "raw.crm_rows": ddl(columnsOf("crm_totals")),
  "raw.activities": `export_id VARCHAR, ${ddl(columnsOf("activities"))}`,
  "raw.activity_accounts": `export_id VARCHAR, ${ddl(columnsOf("activity_accounts"))}`,
  "raw.activity_opportunities": `export_id VARCHAR, ${ddl(columnsOf("activity_opportunities"))}`,
  "raw.activity_participants": `export_id VARCHAR, ${ddl(columnsOf("activity_participants"))}`,
};

/** Tables the writer fills directly. */
const TABLES = ["opportunities", "opportunity_fields"];

const CURRENT = "SELECT export_id FROM raw.forecast_newest";

/** The contract's views, in creation order. */
function views(): Array<[name: string, sql: string]> {
  return [
    // The newest export of each tab, period and currency: its rows are the forecast view's. A
    // company-wide export comes before any scoped one (a manager's subtree must not stand in for
    // everyone once the whole company was exported); a scoped one serves only while it is alone.
    [
      "raw.forecast_newest",
      `SELECT f.export_no, f.export_id FROM raw.forecast_exports f LEFT JOIN raw.exports x ON x.export_id = f.export_id
        QUALIFY row_number() OVER (PARTITION BY f.forecast_id, f.time_period, f.currency ORDER BY (x.scope_id IS NULL OR x.scope_id = '') DESC, f.finished_at DESC NULLS LAST, f.export_no DESC) = 1`,
    ],
    ["exports", `SELECT ${list("exports", ["is_current"])}, (kind <> 'forecast' OR export_id IN (${CURRENT})) AS is_current FROM raw.exports`],
    ["people_all", `SELECT ${list("people")} FROM raw.people`],
    ["people", `SELECT ${list("people")} FROM raw.people WHERE export_id IN (${CURRENT})`],
    ["reports_to_all", `SELECT ${list("reports_to")} FROM raw.reports_to`],
    ["reports_to", `SELECT ${list("reports_to")} FROM raw.reports_to WHERE export_id IN (${CURRENT})`],
    ["forecast_all", forecastView(false)],
    ["forecast", forecastView(true)],
    [
      "forecast_weeks",
      `SELECT e.forecast_id, pe.time_period, e.currency, e.export_id, w.week, s.week_start, s.week_end, w.is_latest AS is_latest_week,
          s.complete AS is_complete_week, w.for_hygiene, e.finished_at AS export_finished_at
        FROM raw.forecast_weeks w JOIN raw.forecast_exports e ON e.export_no = w.export_no
        JOIN raw.forecast_periods pe ON pe.export_no = w.export_no AND pe.code = w.period
        JOIN raw.forecast_spans s ON s.export_no = w.export_no AND s.code = w.span
        WHERE w.export_no IN (SELECT export_no FROM raw.forecast_newest)`,
    ],
    [
      "crm_totals",
      `SELECT ${list("crm_totals")} FROM raw.crm_rows
        QUALIFY row_number() OVER (PARTITION BY forecast_id, time_period, week_start, user_id, field, currency ORDER BY (scope_id IS NULL OR scope_id = '') DESC, read_at DESC) = 1`,
    ],
    [
      "audit_events",
      `SELECT DISTINCT ON (event_id) event_id, event_time, actor_id,
          coalesce(actor_name, max(actor_name) OVER (PARTITION BY actor_id)) AS actor_name,
          coalesce(actor_email, max(actor_email) OVER (PARTITION BY actor_id)) AS actor_email,
          actor_type, impersonating_actor_id, event, event_parameters, session_type, ip_address, session_id, correlation_id,
          event_class, is_change, a.forecast_id, a.time_period, target_user_id, n.name AS target_name, field, old_value, new_value, change
        FROM raw.audit_rows a LEFT JOIN (SELECT DISTINCT ON (user_id) user_id, name FROM raw.people ORDER BY user_id, export_id DESC) n ON n.user_id = a.target_user_id
        ORDER BY event_id, actor_name NULLS LAST`,
    ],
    ["activities", `SELECT DISTINCT ON (activity_id) ${list("activities")} FROM raw.activities ORDER BY activity_id`],
    ["activity_accounts", `SELECT DISTINCT ${list("activity_accounts")} FROM raw.activity_accounts`],
    ["activity_opportunities", `SELECT DISTINCT ${list("activity_opportunities")} FROM raw.activity_opportunities`],
    ["activity_participants", `SELECT DISTINCT ${list("activity_participants")} FROM raw.activity_participants`],
  ];
}

/** The statements that make the schema in a new, empty database. */
export function schemaStatements(): string[] {
  return [
    "CREATE SCHEMA raw",
    ...[...Object.entries(FORECAST_RAW_TABLES), ...Object.entries(RAW_TABLES)].map(([name, columns]) => `CREATE TABLE ${name} (${columns})`),
    ...TABLES.map((name) => `CREATE TABLE ${name} (${ddl(columnsOf(name))})`),
    ...views().map(([name, sql]) => `CREATE VIEW ${name} AS ${sql}`),
    ...METRIC_HELPERS,
    ...metricMacros(),
  ];
}

/**
 * Names the schema: a kept generation is reused after a restart only by a server whose schema
 * is the same (a release that changes a table, view or metric starts from an empty one).
 */
export const SCHEMA_TAG = createHash("sha256").update(schemaStatements().join(";\n")).digest("hex").slice(0, 12);

/** Creates the schema in a new, empty database (the writer's connection). */
export async function createSchema(con: DuckDBConnection): Promise<void> {
  for (const sql of schemaStatements()) await con.run(sql);
}
