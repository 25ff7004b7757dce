/**
 * Which exports, tabs, periods and weeks a caller's query read, found by asking DuckDB itself:
 * the query is parsed (json_serialize_sql), and for each SELECT that reads a forecast table (or a
 * hierarchy, crm_totals or a named metric) a companion query keeps that SELECT's FROM and WHERE
 * and selects only the distinct export_id, forecast_id, time_period, currency and week_start of
 * the rows it read (json_deserialize_sql writes it back as SQL). A sum that never selects
 * forecast_id is traced as well as one that does. What cannot be traced (a statement DuckDB does
 * not serialise, a correlated subquery) is reported as untraced, never guessed.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { METRIC_NAMES } from "../metrics.js";

const ALL = ["export_id", "forecast_id", "time_period", "currency", "week_start"] as const;
type Col = (typeof ALL)[number];

/** The relations traced, and the columns each has of ALL. */
const TRACKED: Record<string, readonly Col[]> = {
  forecast: ALL,
  forecast_all: ALL,
  forecast_weeks: ALL,
  people: ["export_id"],
  people_all: ["export_id"],
  reports_to: ["export_id"],
  reports_to_all: ["export_id"],
  crm_totals: ["forecast_id", "time_period", "currency", "week_start"],
};
const tracked = (name: string): readonly Col[] | undefined => TRACKED[name] ?? (METRIC_NAMES.has(name) ? ALL : undefined);

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

/** A forecast export a traced row came from: when it was taken and its latest and hygiene weeks. */
export interface ExportFacts {
  exportId: string;
  forecastId: string | null;
  timePeriod: string | null;
  currency: string | null;
  finishedAt: string | null;
  latestWeek: number | null;
  latestWeekStart: string | null;
  hygieneWeek: number | null;
  hygieneWeekStart: string | null;
}

export interface Sources {
  /** Every SELECT that reads a traced relation was traced. */
  traced: boolean;
  rows: SourceRow[];
  exports: ExportFacts[];
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
function refsOf(from: unknown, metrics: Set<string>): Array<{ binding: string; relation: string; columns: readonly Col[] }> {
  if (!isObject(from)) return [];
  if (from.type === "JOIN") return [...refsOf(from.left, metrics), ...refsOf(from.right, metrics)];
  let name: string | undefined;
  if (from.type === "BASE_TABLE" && typeof from.table_name === "string") name = from.table_name.toLowerCase();
  if (from.type === "TABLE_FUNCTION" && isObject(from.function) && typeof from.function.function_name === "string") name = from.function.function_name.toLowerCase();
  if (name === undefined) return [];
  if (METRIC_NAMES.has(name)) metrics.add(name);
  const columns = tracked(name);
  if (!columns) return [];
  // A table macro without an alias binds as "unnamed_query<n>": the companions name it after itself.
  if (from.type === "TABLE_FUNCTION" && (typeof from.alias !== "string" || from.alias === "")) from.alias = name;
  return [{ binding: typeof from.alias === "string" && from.alias !== "" ? from.alias : name, relation: name, columns }];
}

/** Every SELECT node of the tree that reads a tracked relation. */
function targetsOf(tree: unknown, metrics: Set<string>, out: Target[] = []): Target[] {
  if (Array.isArray(tree)) {
    for (const item of tree) targetsOf(item, metrics, out);
    return out;
  }
  if (!isObject(tree)) return out;
  if (tree.type === "SELECT_NODE") for (const ref of refsOf(tree.from_table, metrics)) out.push({ node: tree, ...ref });
  for (const value of Object.values(tree)) targetsOf(value, metrics, out);
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

async function exportFacts(con: DuckDBConnection, ids: string[]): Promise<ExportFacts[]> {
  if (ids.length === 0) return [];
  const list = ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(", ");
  const reader = await con.runAndReadAll(`
    SELECT e.export_id, e.forecast_id, e.time_period, e.currency, strftime(e.finished_at, '%Y-%m-%dT%H:%M:%SZ'),
      max(w.week) FILTER (WHERE w.is_latest), (max(s.week_start) FILTER (WHERE w.is_latest))::VARCHAR,
      max(w.week) FILTER (WHERE w.for_hygiene), (max(s.week_start) FILTER (WHERE w.for_hygiene))::VARCHAR
    FROM raw.forecast_exports e LEFT JOIN raw.forecast_weeks w ON w.export_no = e.export_no
    LEFT JOIN raw.forecast_spans s ON s.export_no = w.export_no AND s.code = w.span
    WHERE e.export_id IN (${list}) GROUP BY ALL`);
  return reader.getRows().map(([exportId, forecastId, timePeriod, currency, finishedAt, latestWeek, latestWeekStart, hygieneWeek, hygieneWeekStart]) => ({
    exportId: String(exportId),
    forecastId: str(forecastId),
    timePeriod: str(timePeriod),
    currency: str(currency),
    finishedAt: str(finishedAt),
    latestWeek: latestWeek === null ? null : Number(latestWeek),
    latestWeekStart: str(latestWeekStart),
    hygieneWeek: hygieneWeek === null ? null : Number(hygieneWeek),
    hygieneWeekStart: str(hygieneWeekStart),
  }));
}

/**
 * Traces the query on its own connection, within `budgetMs` (the connection is interrupted after
 * it; what was not traced by then is reported untraced).
 */
export async function traceSources(con: DuckDBConnection, sql: string, budgetMs: number): Promise<Sources> {
  const sources: Sources = { traced: false, rows: [], exports: [], metrics: [], stored: [] };
  const timer = setTimeout(() => con.interrupt(), Math.max(1, budgetMs));
  try {
    const storedRows = await con.runAndReadAll("SELECT DISTINCT forecast_id, time_period FROM raw.forecast_exports WHERE export_no IN (SELECT export_no FROM raw.forecast_newest)");
    sources.stored = storedRows.getRows().map(([f, t]) => ({ forecastId: str(f), timePeriod: str(t) }));
    if (budgetMs <= 0) return sources;
    const parsed = JSON.parse((await scalar(con, "SELECT json_serialize_sql($1::VARCHAR)", sql)) ?? "{}") as Json;
    const statement = Array.isArray(parsed.statements) ? (parsed.statements[0] as Json | undefined) : undefined;
    if (parsed.error !== false || !isObject(statement?.node)) return sources;
    const metrics = new Set<string>();
    const targets = targetsOf(statement.node, metrics);
    sources.metrics = [...metrics];
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
    sources.exports = await exportFacts(con, [...new Set(sources.rows.map((r) => r.exportId).filter((id): id is string => id !== null))]);
    sources.traced = true;
    return sources;
  } catch {
    return sources;
  } finally {
    clearTimeout(timer);
  }
}
