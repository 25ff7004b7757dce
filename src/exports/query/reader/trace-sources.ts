/**
 * Which exports, tabs, periods and weeks a caller's query read, found by asking DuckDB itself:
 * the query is parsed (json_serialize_sql), and for each SELECT that reads a forecast table (or a
 * hierarchy, crm_totals or a named metric) a companion query keeps that SELECT's FROM and WHERE
 * and selects only the distinct export_id and week_start of the rows it read (forecast_id,
 * time_period and currency for crm_totals), json_deserialize_sql writing it back as SQL. A sum
 * that never selects forecast_id is traced as well as one that does. What cannot be traced (a
 * statement DuckDB does not serialise, a correlated subquery) is reported as untraced, never
 * guessed. A generation whose contents no trace could warn about is not traced at all.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { METRIC_NAMES } from "../metrics.js";
import { traceNeeded, type ExportFacts, type GenerationFacts } from "./generation-facts.js";

export type { ExportFacts } from "./generation-facts.js";

const ALL = ["export_id", "forecast_id", "time_period", "currency", "week_start"] as const;
type Col = (typeof ALL)[number];

/** The export's own columns: what a row of an export adds to them is its week. */
const EXPORT_ROWS: readonly Col[] = ["export_id", "week_start"];

/** The relations traced, and the columns each has of ALL (tab, period and currency of an export come from its facts). */
const TRACKED: Record<string, readonly Col[]> = {
  forecast: EXPORT_ROWS,
  forecast_all: EXPORT_ROWS,
  forecast_weeks: EXPORT_ROWS,
  people: ["export_id"],
  people_all: ["export_id"],
  reports_to: ["export_id"],
  reports_to_all: ["export_id"],
  crm_totals: ["forecast_id", "time_period", "currency", "week_start"],
};
// remaining_coverage reads crm_totals (no export); the other metrics read one export's week.
const tracked = (name: string): readonly Col[] | undefined => TRACKED[name] ?? (name === "remaining_coverage" ? TRACKED.crm_totals : METRIC_NAMES.has(name) ? EXPORT_ROWS : undefined);

const METRIC_CALL = new RegExp(`\\b(${[...METRIC_NAMES].join("|")})\\s*\\(`, "gi");

/** The named metrics a query calls, by name (enough for the definitions its answer carries). */
function metricsIn(sql: string): string[] {
  return [...new Set([...sql.matchAll(METRIC_CALL)].map((m) => (m[1] as string).toLowerCase()))];
}

const NAMES = new RegExp(`\\b(${[...Object.keys(TRACKED), ...METRIC_NAMES].join("|")})\\b`, "i");

/** The query names something worth tracing (a cheap first look). */
export function mayTrace(sql: string): boolean {
  return NAMES.test(sql);
}

export interface SourceRow {
  relation: string;
  exportId: string | null;
  forecastId: string | null;
  timePeriod: string | null;
  currency: string | null;
  weekStart: string | null;
}

export interface Sources {
  /** Every SELECT that reads a traced relation was traced. */
  traced: boolean;
  rows: SourceRow[];
  exports: ExportFacts[];
  /** The other stored exports of the tabs, periods and currencies read (what the ones read may lack). */
  siblings: ExportFacts[];
  /** Named metrics the query calls. */
  metrics: string[];
  /** The (tab, period) pairs the forecast view holds: what an untraced query might have mixed. */
  stored: Array<{ forecastId: string | null; timePeriod: string | null }>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

interface Target {
  node: Json;
  binding: string;
  relation: string;
  columns: readonly Col[];
}

/** Tracked relations a FROM clause reads directly (through joins, not into subqueries: those are SELECTs of their own). */
function refsOf(from: unknown): Array<{ binding: string; relation: string; columns: readonly Col[] }> {
  if (!isObject(from)) return [];
  if (from.type === "JOIN") return [...refsOf(from.left), ...refsOf(from.right)];
  let name: string | undefined;
  if (from.type === "BASE_TABLE" && typeof from.table_name === "string") name = from.table_name.toLowerCase();
  if (from.type === "TABLE_FUNCTION" && isObject(from.function) && typeof from.function.function_name === "string") name = from.function.function_name.toLowerCase();
  if (name === undefined) return [];
  const columns = tracked(name);
  if (!columns) return [];
  // A table macro without an alias binds as "unnamed_query<n>": the companions name it after itself.
  if (from.type === "TABLE_FUNCTION" && (typeof from.alias !== "string" || from.alias === "")) from.alias = name;
  return [{ binding: typeof from.alias === "string" && from.alias !== "" ? from.alias : name, relation: name, columns }];
}

/** Every SELECT node of the tree that reads a tracked relation. */
function targetsOf(tree: unknown, out: Target[] = []): Target[] {
  if (Array.isArray(tree)) {
    for (const item of tree) targetsOf(item, out);
    return out;
  }
  if (!isObject(tree)) return out;
  if (tree.type === "SELECT_NODE") for (const ref of refsOf(tree.from_table)) out.push({ node: tree, ...ref });
  for (const value of Object.values(tree)) targetsOf(value, out);
  return out;
}

const columnRef = (binding: string, column: string, alias: string): Json => ({ class: "COLUMN_REF", type: "COLUMN_REF", alias, query_location: 0, column_names: [binding, column] });

/** The target's SELECT with its FROM and WHERE only, selecting the tracked columns (named c_<col>). */
function companion(target: Target, ctes: unknown): Json {
  const { node } = target;
  const own = isObject(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  const outer = isObject(ctes) && Array.isArray(ctes.map) ? ctes.map : [];
  const names = new Set(own.map((e) => (isObject(e) ? e.key : undefined)));
  return {
    ...node,
    modifiers: [],
    cte_map: { map: [...own, ...outer.filter((e) => !(isObject(e) && names.has(e.key)))] },
    select_list: target.columns.map((col) => columnRef(target.binding, col, `c_${col}`)),
    group_expressions: [],
    group_sets: [],
    aggregate_handling: "STANDARD_HANDLING",
    having: null,
    qualify: null,
    sample: null,
  };
}

async function scalar(con: DuckDBConnection, sql: string, value: string): Promise<string | null> {
  const reader = await con.runAndReadAll(sql, [value]);
  const cell = reader.getRows()[0]?.[0];
  return typeof cell === "string" ? cell : null;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * Traces the query on its own connection, within `budgetMs` (the connection is interrupted after
 * it; what was not traced by then is reported untraced).
 */
export async function traceSources(con: DuckDBConnection, sql: string, budgetMs: number, facts: GenerationFacts): Promise<Sources> {
  const stored = facts.exports.filter((e) => e.current).map((e) => ({ forecastId: e.forecastId, timePeriod: e.timePeriod }));
  const sources: Sources = { traced: false, rows: [], exports: [], siblings: [], metrics: metricsIn(sql), stored };
  // One export, one set of CRM totals, no settling week: nothing a trace finds would be worth saying.
  if (!traceNeeded(facts)) return { ...sources, traced: true };
  if (budgetMs <= 0) return sources;
  const timer = setTimeout(() => con.interrupt(), budgetMs);
  try {
    const parsed = JSON.parse((await scalar(con, "SELECT json_serialize_sql($1::VARCHAR)", sql)) ?? "{}") as Json;
    const statement = Array.isArray(parsed.statements) ? (parsed.statements[0] as Json | undefined) : undefined;
    if (parsed.error !== false || !isObject(statement?.node)) return sources;
    const targets = targetsOf(statement.node);
    const seen = new Set<string>();
    for (const target of targets) {
      const json = JSON.stringify({ error: false, statements: [{ node: companion(target, statement.node.cte_map), named_param_map: [] }] });
      const text = await scalar(con, "SELECT json_deserialize_sql($1::JSON)", json);
      if (text === null) return sources;
      const pick = ALL.map((col) => (target.columns.includes(col) ? `c_${col}::VARCHAR` : "NULL::VARCHAR")).join(", ");
      const reader = await con.runAndReadAll(`SELECT DISTINCT ${pick} FROM (${text}) LIMIT 1000`);
      for (const [exportId, forecastId, timePeriod, currency, weekStart] of reader.getRows()) {
        const row: SourceRow = { relation: target.relation, exportId: str(exportId), forecastId: str(forecastId), timePeriod: str(timePeriod), currency: str(currency), weekStart: str(weekStart) };
        const key = JSON.stringify(row);
        if (seen.has(key)) continue;
        seen.add(key);
        sources.rows.push(row);
      }
    }
    const read = new Set(sources.rows.map((r) => r.exportId));
    sources.exports = facts.exports.filter((e) => read.has(e.exportId));
    const kinds = new Set(sources.exports.map((e) => `${e.forecastId} ${e.timePeriod} ${e.currency}`));
    sources.siblings = facts.exports.filter((e) => !read.has(e.exportId) && kinds.has(`${e.forecastId} ${e.timePeriod} ${e.currency}`));
    sources.traced = true;
    return sources;
  } catch {
    return sources;
  } finally {
    clearTimeout(timer);
  }
}
