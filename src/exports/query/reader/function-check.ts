/**
 * What DuckDB's READ_ONLY mode and locked configuration do not cover: table functions that
 * change the shared reader itself (enable_logging, whose log another caller could then read;
 * enable_profiling, the parser override) or show the server's paths and settings
 * (duckdb_databases, duckdb_settings, current_setting, whether called or named as a view, and the
 * pg_catalog and sqlite look-alike views built on them), and
 * query() that runs SQL built from text. The caller's SQL is parsed by DuckDB (json_serialize_sql) and every function it names is
 * checked: table functions against the short list a question needs, scalar functions against the
 * few that reach outside the query. Only a SELECT (or an EXPLAIN of one) can pass.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { QueryRefused } from "../errors.js";
import { METRIC_NAMES } from "../metrics.js";

/** Table functions a question may use: a few of DuckDB's, and the named metrics (metrics.ts). */
const TABLE_FUNCTIONS = new Set([
  "range", "generate_series", "unnest", "repeat", "json_each", "json_tree",
  "duckdb_tables", "duckdb_views", "duckdb_columns", "duckdb_schemas", "duckdb_types", "duckdb_functions",
  "duckdb_keywords", "duckdb_constraints", "duckdb_indexes", "pragma_table_info", "pragma_show",
  ...METRIC_NAMES,
]);

/** Scalar functions that reach outside the query (settings, paths, SQL from text). */
const SCALAR_DENIED = /^(current_setting|query|query_table|json_execute_serialized_sql|getenv)$|^(enable|disable|force|truncate)_/;

interface Named {
  tables: string[];
  scalars: string[];
  /** Tables and views named in FROM (DuckDB's system views answer without parentheses too), with their schema. */
  relations: Array<{ schema: string; name: string }>;
}

/** A system view or table function named without parentheses: allowed only when its function is. */
const SYSTEM_RELATION = /^(duckdb_|pragma_)/;
/**
 * DuckDB's PostgreSQL and SQLite look-alike views, built on the same functions (pg_settings on
 * duckdb_settings shows every setting, the reader's file paths among them): refused, by name or
 * by schema, as the search path finds them unqualified too.
 */
const COMPAT_RELATION = /^(pg_|sqlite_)/;

function collect(node: unknown, out: Named): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, out);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.type === "TABLE_FUNCTION") {
    const fn = record.function as Record<string, unknown> | undefined;
    if (typeof fn?.function_name === "string") out.tables.push(fn.function_name.toLowerCase());
    // Its arguments are scalar expressions: walk them, not the function itself again.
    collect(fn?.children, out);
    for (const [key, value] of Object.entries(record)) if (key !== "function") collect(value, out);
    return;
  }
  if (record.type === "BASE_TABLE" && typeof record.table_name === "string") {
    out.relations.push({ schema: String(record.schema_name ?? "").toLowerCase(), name: record.table_name.toLowerCase() });
  }
  if (typeof record.function_name === "string") out.scalars.push(record.function_name.toLowerCase());
  for (const value of Object.values(record)) collect(value, out);
}

function refusal(what: string): QueryRefused {
  return new QueryRefused(`Refused: ${what}. clari_query answers one SELECT over the tables in clari://schema (range, unnest and generate_series are fine; functions that change or describe the server are not).`);
}

/** Refuses SQL that is not one SELECT, or that names a function outside what questions need. */
export async function checkFunctions(con: DuckDBConnection, sql: string): Promise<void> {
  const explain = /^\s*EXPLAIN\b(\s+ANALY[SZ]E\b)?/i.exec(sql);
  if (explain?.[1]) throw refusal("EXPLAIN ANALYZE runs the statement; use EXPLAIN");
  const inner = explain ? sql.slice(explain[0].length) : sql;
  const reader = await con.runAndReadAll("SELECT json_serialize_sql($sql::VARCHAR)", { sql: inner });
  const parsed = JSON.parse(String(reader.getRows()[0]?.[0] ?? "{}")) as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (!parsed.error && !Array.isArray(parsed.statements)) throw new QueryRefused("The query could not be checked: the query worker is short of memory after an earlier query. Ask again in a moment.");
  if (parsed.error) throw refusal(`DuckDB reads this as something other than one SELECT (${String(parsed.error_message ?? "").slice(0, 200)}); write it as a SELECT`);
  if ((parsed.statements?.length ?? 0) !== 1) throw refusal("send exactly one statement");
  const named: Named = { tables: [], scalars: [], relations: [] };
  collect(parsed.statements, named);
  const table = named.tables.find((name) => !TABLE_FUNCTIONS.has(name)) ?? named.relations.find(({ name }) => SYSTEM_RELATION.test(name) && !TABLE_FUNCTIONS.has(name))?.name;
  if (table) throw refusal(`the table function ${table}() is not available`);
  const compat = named.relations.find(({ schema, name }) => schema === "pg_catalog" || COMPAT_RELATION.test(name));
  if (compat) throw refusal(`the system view ${compat.name} is not available (it describes the server); the tables are in clari://schema`);
  const scalar = named.scalars.find((name) => SCALAR_DENIED.test(name));
  if (scalar) throw refusal(`the function ${scalar}() is not available`);
}
