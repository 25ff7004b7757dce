/**
 * The named metrics: DuckDB table macros in every generation file, each defined here once with the
 * formula that documents it (clari://schema and docs/QUERY.md render these). Each reads one tab,
 * one period and one week of the forecast view (the newest export of that tab, period and
 * currency), one row per person, so nothing is ever added across tabs, periods, currencies or
 * hierarchy levels. A leader's number is their own call; a team's is the sum of its direct
 * reports' own calls, each of which covers their own team.
 */
import { SETTLING_DAYS } from "../read/weeks.js";

export interface MetricDefinition {
  name: string;
  /** The call, with defaults: `attainment(tab, period := NULL, ...)`. */
  signature: string;
  /** The formula and what one row is. */
  formula: string;
  /** Columns beyond the person's (see PERSON_COLUMNS). */
  columns: string[];
  /** The macro's body (a SELECT over the contract's views). */
  sql: string;
}

/** What the arguments every metric takes mean (rendered once above the list). */
export const METRIC_ARGUMENTS =
  "tab: the forecast_id (required). period: the time_period (default NULL: the tab's newest stored period). " +
  "wk: the week number (default NULL: the latest week; hygiene: the hygiene week). cur: the currency, its ISO code or its symbol as exported ('EUR' or '€'; default NULL: each currency's rows apart). " +
  "Field names default to Clari's (Commit, Best Case, Pipeline, Quota): pass call_field := 'Forecast' and so on when a tab names them otherwise.";

/** Every metric row starts with who and when, and ends with the export it read. */
export const PERSON_COLUMNS = ["forecast_id", "time_period", "currency", "week", "week_start", "user_id", "name", "role", "level", "is_rep", "region", "manager_name"];

const PERSON = PERSON_COLUMNS.map((col) => `b.${col}`).join(", ");

/** The forecast row of the person and week in `b` for one field. */
const value = (alias: string, field: string): string =>
  `LEFT JOIN forecast ${alias} ON ${alias}.export_id = b.export_id AND ${alias}.user_id = b.user_id AND ${alias}.time_period = b.time_period ` +
  `AND ${alias}.week_start IS NOT DISTINCT FROM b.week_start AND ${alias}.field = ${field}`;

/** ISO codes and the symbols exports carry instead (JSON tables and CSV cells name the symbol). */
const CURRENCY_SYMBOLS: Record<string, string> = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CAD: "CA$", AUD: "A$", CHF: "CHF", SEK: "kr", BRL: "R$" };
const SYMBOL_CASES = Object.entries(CURRENCY_SYMBOLS).map(([code, symbol]) => `WHEN '${code}' THEN '${symbol}'`).join(" ");

/** Helpers in the raw schema: a currency's symbol, the weeks a metric reads, and the people of those weeks' exports. */
export const METRIC_HELPERS = [
  `CREATE MACRO raw.currency_matches(stored, asked) AS asked IS NULL OR stored = asked OR stored = (CASE upper(asked) ${SYMBOL_CASES} END)`,
  `CREATE MACRO raw.metric_weeks(tab, period, wk, cur, pick) AS TABLE
    SELECT * FROM forecast_weeks w
    WHERE w.forecast_id = tab
      AND w.time_period = coalesce(period, (SELECT max(v.time_period) FROM forecast_weeks v WHERE v.forecast_id = tab))
      AND raw.currency_matches(w.currency, cur)
      AND CASE WHEN wk IS NOT NULL THEN w.week = wk WHEN pick = 'all' THEN true WHEN pick = 'hygiene' THEN w.for_hygiene ELSE w.is_latest_week END`,
  `CREATE MACRO raw.metric_people(tab, period, wk, cur, pick) AS TABLE
    SELECT w.forecast_id, w.time_period, w.currency, w.week, w.week_start, w.is_latest_week, w.is_complete_week,
      p.user_id, p.name, p.role, p.level, p.is_rep, p.region, p.manager_name, w.export_id
    FROM raw.metric_weeks(tab, period, wk, cur, pick) w JOIN people p ON p.export_id = w.export_id`,
];

const people = (pick: "latest" | "hygiene" | "all" = "latest") => `FROM raw.metric_people(tab, period, wk, cur, '${pick}') b`;

export const METRICS: readonly MetricDefinition[] = [
  {
    name: "attainment",
    signature: "attainment(tab, period := NULL, wk := NULL, call_field := 'Commit', quota_field := 'Quota', cur := NULL)",
    formula: "attainment = value / quota: the person's own call over their own quota; gap_to_quota = quota - value.",
    columns: ["field", "value", "quota", "attainment", "gap_to_quota", "export_id"],
    sql: `SELECT ${PERSON}, call_field AS field, c.value, q.value AS quota, c.value / nullif(q.value, 0) AS attainment, q.value - c.value AS gap_to_quota, b.export_id
      ${people()} ${value("c", "call_field")} ${value("q", "quota_field")}`,
  },
  {
    name: "gap_to_quota",
    signature: "gap_to_quota(tab, period := NULL, wk := NULL, call_field := 'Commit', quota_field := 'Quota', cur := NULL)",
    formula: "gap_to_quota = quota - value (attainment's rows): what the person's own call leaves uncovered; negative = called above quota.",
    columns: ["field", "value", "quota", "gap_to_quota", "export_id"],
    sql: "SELECT * EXCLUDE (attainment) FROM attainment(tab, period, wk, call_field, quota_field, cur)",
  },
  {
    name: "coverage",
    signature: "coverage(tab, period := NULL, wk := NULL, pipeline_field := 'Pipeline', quota_field := 'Quota', cur := NULL)",
    formula: "pipeline_coverage = pipeline / quota: the person's own Pipeline call over their own quota.",
    columns: ["pipeline", "quota", "pipeline_coverage", "export_id"],
    sql: `SELECT ${PERSON}, pl.value AS pipeline, q.value AS quota, pl.value / nullif(q.value, 0) AS pipeline_coverage, b.export_id
      ${people()} ${value("pl", "pipeline_field")} ${value("q", "quota_field")}`,
  },
  {
    name: "remaining_coverage",
    signature: "remaining_coverage(tab, period := NULL, wk := NULL, pipeline_field := 'Pipeline', cur := NULL)",
    formula:
      "remaining_coverage = pipeline / remaining_quota, remaining_quota = quota - closed, from crm_totals (clari_get_forecast reads): the CRM Total of the Pipeline field " +
      "over the quota not yet closed (CRM Closed), in the latest week read unless wk; NULL once the quota is met.",
    columns: ["pipeline", "closed", "quota", "remaining_quota", "remaining_coverage", "read_at", "export_id"],
    sql: `WITH r AS (
        SELECT * FROM crm_totals
        WHERE forecast_id = tab AND field = pipeline_field AND raw.currency_matches(currency, cur)
          AND time_period = coalesce(period, (SELECT max(v.time_period) FROM crm_totals v WHERE v.forecast_id = tab)))
      SELECT forecast_id, time_period, currency, week, week_start, user_id, name, NULL::VARCHAR AS role, level, is_rep, region, NULL::VARCHAR AS manager_name,
        crm_total AS pipeline, crm_closed AS closed, quota, quota - crm_closed AS remaining_quota,
        CASE WHEN quota - crm_closed > 0 THEN crm_total / (quota - crm_closed) END AS remaining_coverage, read_at, NULL::VARCHAR AS export_id
      FROM r WHERE CASE WHEN wk IS NULL THEN week_start = (SELECT max(week_start) FROM r) ELSE week = wk END`,
  },
  {
    name: "upside",
    signature: "upside(tab, period := NULL, wk := NULL, commit_field := 'Commit', best_field := 'Best Case', cur := NULL)",
    formula: "upside = best_case - commit: the person's own Best Case call over their own Commit.",
    columns: ["commit", "best_case", "upside", "export_id"],
    sql: `SELECT ${PERSON}, c.value AS commit, bc.value AS best_case, bc.value - c.value AS upside, b.export_id
      ${people()} ${value("c", "commit_field")} ${value("bc", "best_field")}`,
  },
  {
    name: "haircut",
    signature: "haircut(tab, period := NULL, wk := NULL, call_field := 'Commit', cur := NULL)",
    formula:
      "One row per leader: team_call = the sum of their direct reports' own calls (each covers their own team, so no level is counted twice); " +
      "haircut = own_call - team_call (negative: the leader calls below the team); haircut_pct = own_call / team_call - 1.",
    columns: ["field", "own_call", "team_call", "direct_reports", "haircut", "haircut_pct", "export_id"],
    sql: `WITH calls AS (SELECT b.*, c.value AS call_value ${people()} ${value("c", "call_field")}),
      team AS (
        SELECT r.export_id, r.leader_user_id, sum(m.call_value) AS team_call, count(*) AS direct_reports
        FROM reports_to r JOIN calls m ON m.export_id = r.export_id AND m.user_id = r.user_id WHERE r.depth = 1 GROUP BY r.export_id, r.leader_user_id)
      SELECT ${PERSON}, call_field AS field, b.call_value AS own_call, t.team_call, t.direct_reports,
        b.call_value - t.team_call AS haircut, b.call_value / nullif(t.team_call, 0) - 1 AS haircut_pct, b.export_id
      FROM calls b JOIN team t ON t.export_id = b.export_id AND t.leader_user_id = b.user_id`,
  },
  {
    name: "hygiene",
    signature: "hygiene(tab, period := NULL, wk := NULL, call_field := 'Commit', cur := NULL)",
    formula:
      `One row per person: updated = their call_field call was updated in the week; by default the hygiene week (forecast_weeks.for_hygiene: the latest week that began at least ${SETTLING_DAYS} days before the export was taken). ` +
      "Share updated = avg(updated::INT). Needs typesToExport forecast_updated.",
    columns: ["field", "updated", "updated_on", "updated_by_name", "is_complete_week", "export_id"],
    sql: `SELECT ${PERSON}, call_field AS field, c.updated, c.updated_on, c.updated_by_name, b.is_complete_week, b.export_id
      ${people("hygiene")} ${value("c", "call_field")}`,
  },
  {
    name: "movement",
    signature: "movement(tab, period := NULL, wk := NULL, call_field := 'Commit', cur := NULL)",
    formula: "change = value - previous: the person's own call in the week against week - 1 of the same export (needs includeHistorical).",
    columns: ["field", "value", "previous", "change", "export_id"],
    sql: `SELECT ${PERSON}, call_field AS field, c.value, p.value AS previous, c.value - p.value AS change, b.export_id
      ${people()} ${value("c", "call_field")}
      LEFT JOIN forecast p ON p.export_id = b.export_id AND p.user_id = b.user_id AND p.time_period = b.time_period AND p.week = b.week - 1 AND p.field = call_field`,
  },
  {
    name: "adjustments",
    signature: "adjustments(tab, period := NULL, wk := NULL, cur := NULL)",
    formula:
      "One row per adjusted call: delta = adjustment - value (the manager's number minus the person's own), with who adjusted (adjusted_by_name) and when; " +
      "every week of the export unless wk (is_latest_week marks the latest).",
    columns: ["field", "value", "adjustment", "delta", "adjusted_by", "adjusted_by_name", "adjusted_on", "is_latest_week", "export_id"],
    sql: `SELECT ${PERSON}, a.field, a.value, a.adjustment, a.adjustment - a.value AS delta, a.adjusted_by, a.adjusted_by_name, a.adjusted_on, b.is_latest_week, b.export_id
      ${people("all")} JOIN forecast a ON a.export_id = b.export_id AND a.user_id = b.user_id AND a.time_period = b.time_period
        AND a.week_start IS NOT DISTINCT FROM b.week_start AND a.adjustment IS NOT NULL`,
  },
];

export const METRIC_NAMES: ReadonlySet<string> = new Set(METRICS.map((m) => m.name));

/** `CREATE MACRO name(params) AS TABLE body` for each metric (createSchema runs these after the views). */
export function metricMacros(): string[] {
  return METRICS.map((m) => `CREATE MACRO ${m.signature} AS TABLE ${m.sql}`);
}

/** The one-line definition a result that used the metric carries. */
export function metricDefinition(name: string): string | undefined {
  const m = METRICS.find((x) => x.name === name);
  return m ? `${m.name}: ${m.formula}` : undefined;
}
