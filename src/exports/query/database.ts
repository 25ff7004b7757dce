/**
 * The query tables' schema: the contract's tables and views, and the raw tables behind the
 * views, created in a new generation file by the server's own writer (generations.ts). Imported
 * on the first query only: DuckDB never loads at start-up.
 */
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { columnsDdl, CONTRACT } from "./contract.js";
import { FORECAST_RAW_TABLES, FORECAST_VIEW } from "./load-forecast.js";

/** Contract tables kept as views over raw tables (de-duplicated across sources). */
const VIEWS: Record<string, string> = {
  audit_events: `SELECT DISTINCT ON (event_id) event_id, event_time, actor_id,
      coalesce(actor_name, max(actor_name) OVER (PARTITION BY actor_id)) AS actor_name,
      coalesce(actor_email, max(actor_email) OVER (PARTITION BY actor_id)) AS actor_email,
      actor_type, impersonating_actor_id, event, event_parameters, session_type, ip_address, session_id, correlation_id
    FROM raw.audit_rows ORDER BY event_id, actor_name NULLS LAST`,
  activities: "SELECT DISTINCT ON (activity_id) activity_id, activity_type, subject, activity_time, owner_id, organiser_id FROM raw.activities ORDER BY activity_id",
  activity_accounts: "SELECT DISTINCT activity_id, account_id, account_name FROM raw.activity_accounts",
  activity_opportunities: "SELECT DISTINCT activity_id, opportunity_id, opportunity_name FROM raw.activity_opportunities",
  activity_participants: "SELECT DISTINCT activity_id, name, email, is_internal FROM raw.activity_participants",
};

/** The raw tables behind the views carry their source (an export's jobId, or "pages"). */
const RAW_SOURCE: Record<string, string> = {
  audit_events: "source",
  activities: "export_id",
  activity_accounts: "export_id",
  activity_opportunities: "export_id",
  activity_participants: "export_id",
};

/** The catalog the tables live in (the assistant's default): every generation file is named after it. */
export const CATALOG = "clari";

/** The statements that make the schema in a new, empty database. */
export function schemaStatements(): string[] {
  const statements = ["CREATE SCHEMA raw"];
  for (const [name, columns] of Object.entries(FORECAST_RAW_TABLES)) statements.push(`CREATE TABLE ${name} (${columns})`);
  for (const table of CONTRACT) {
    if (table.perCaller) continue; // never in a file every caller reads
    if (table.name === "forecast") {
      statements.push(`CREATE VIEW forecast AS ${FORECAST_VIEW}`);
      continue;
    }
    const view = VIEWS[table.name];
    if (view === undefined) {
      statements.push(`CREATE TABLE ${table.name} (${columnsDdl(table)})`);
      continue;
    }
    const rawName = table.name === "audit_events" ? "audit_rows" : table.name;
    statements.push(`CREATE TABLE raw.${rawName} (${RAW_SOURCE[table.name]} VARCHAR, ${columnsDdl(table)})`);
    statements.push(`CREATE VIEW ${table.name} AS ${view}`);
  }
  return statements;
}

/**
 * Names the schema: a kept generation is reused after a restart only by a server whose schema
 * is the same (a release that changes a table or view starts from an empty one).
 */
export const SCHEMA_TAG = createHash("sha256").update(schemaStatements().join(";\n")).digest("hex").slice(0, 12);

/** Creates the schema in a new, empty database (the writer's connection). */
export async function createSchema(con: DuckDBConnection): Promise<void> {
  for (const sql of schemaStatements()) await con.run(sql);
}
