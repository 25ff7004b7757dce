/**
 * A stored forecast export into the query tables: `people` and `reports_to` from its hierarchy,
 * `forecast` from its value rows (one row per person, field and week, the data types side by
 * side). The rows come from the row model the streaming readers built (deps.tables), pivoted in
 * forecast-pivot.ts and written column by column; names are stored once per export.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { hygieneWeek, isCompleteWeek } from "../read/weeks.js";
import type { StoredExport } from "../store/store.js";
import type { ForecastTable } from "../table/forecast-table.js";
import { appendNumericChunks, appendRows, day, text, ts, type NumericChunk } from "./append.js";
import { pivotForecast, type ForecastFacts } from "./forecast-pivot.js";
import { hierarchy, reportsTo, type Person } from "./hierarchy.js";

/** raw.forecast_facts after its export_no: each column's name, type and where a pivoted chunk holds it. */
const FACT_COLUMNS: ReadonlyArray<readonly [name: string, type: "INTEGER" | "DOUBLE", of: (f: ForecastFacts) => ArrayLike<number>]> = [
  ["person", "INTEGER", (f) => f.person],
  ["period", "INTEGER", (f) => f.period],
  ["field", "INTEGER", (f) => f.field],
  ["span", "INTEGER", (f) => f.span],
  ["week", "INTEGER", (f) => f.week],
  ["is_latest", "INTEGER", (f) => f.isLatest],
  ["value", "DOUBLE", (f) => f.value],
  ["adjustment", "DOUBLE", (f) => f.adjustment],
  ["updated", "INTEGER", (f) => f.updated],
  ["updated_by", "INTEGER", (f) => f.updatedBy],
  ["updated_on", "DOUBLE", (f) => f.updatedOn],
  ["adjusted_by", "INTEGER", (f) => f.adjustedBy],
  ["adjusted_on", "DOUBLE", (f) => f.adjustedOn],
  ["crm_total", "DOUBLE", (f) => f.crmTotal],
  ["crm_closed", "DOUBLE", (f) => f.crmClosed],
  ["currency", "INTEGER", (f) => f.currency],
];

/** The raw tables the forecast views join (database.ts); each row carries its export's number. */
export const FORECAST_RAW_TABLES = {
  "raw.forecast_exports": "export_no INTEGER, export_id VARCHAR, forecast_id VARCHAR, time_period VARCHAR, currency VARCHAR, finished_at TIMESTAMPTZ",
  "raw.forecast_people": "export_no INTEGER, code INTEGER, user_id VARCHAR",
  "raw.forecast_fields": "export_no INTEGER, code INTEGER, name VARCHAR",
  "raw.forecast_periods": "export_no INTEGER, code INTEGER, time_period VARCHAR",
  "raw.forecast_spans": "export_no INTEGER, code INTEGER, week_start DATE, week_end DATE, complete BOOLEAN",
  "raw.forecast_weeks": "export_no INTEGER, period INTEGER, week INTEGER, span INTEGER, is_latest BOOLEAN, for_hygiene BOOLEAN",
  "raw.forecast_changers": "export_no INTEGER, code INTEGER, user_id VARCHAR, name VARCHAR",
  "raw.forecast_currencies": "export_no INTEGER, code INTEGER, name VARCHAR",
  "raw.forecast_facts": `export_no INTEGER, ${FACT_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", ")}`,
} as const;

/**
 * The contract's `forecast_all` (every export) or `forecast` (the newest export of each tab,
 * period and currency), as a view: numbers and codes are stored once per row, names once per
 * export (a 5,000-user export's rows as text took ~80 MB before compression).
 */
export function forecastView(newestOnly: boolean): string {
  return `SELECT e.export_id, e.forecast_id, pe.time_period, x.week, s.week_start, x.is_latest::BOOLEAN AS is_latest_week,
    p.user_id, f.name AS field, x.value, x.adjustment, (x.updated <> 0) AS updated,
    ub.user_id AS updated_by, to_timestamp(x.updated_on / 1000) AS updated_on,
    ab.user_id AS adjusted_by, to_timestamp(x.adjusted_on / 1000) AS adjusted_on,
    s.week_end, x.crm_total, x.crm_closed, cu.name AS currency, s.complete AS is_complete_week, ub.name AS updated_by_name, ab.name AS adjusted_by_name
  FROM raw.forecast_facts x
  JOIN raw.forecast_exports e ON e.export_no = x.export_no
  JOIN raw.forecast_people p ON p.export_no = x.export_no AND p.code = x.person
  JOIN raw.forecast_fields f ON f.export_no = x.export_no AND f.code = x.field
  JOIN raw.forecast_periods pe ON pe.export_no = x.export_no AND pe.code = x.period
  JOIN raw.forecast_spans s ON s.export_no = x.export_no AND s.code = x.span
  LEFT JOIN raw.forecast_currencies cu ON cu.export_no = x.export_no AND cu.code = x.currency
  LEFT JOIN raw.forecast_changers ub ON ub.export_no = x.export_no AND ub.code = x.updated_by
  LEFT JOIN raw.forecast_changers ab ON ab.export_no = x.export_no AND ab.code = x.adjusted_by${newestOnly ? "\n  WHERE x.export_no IN (SELECT export_no FROM raw.forecast_newest)" : ""}`;
}

/** Removes one export's rows from the forecast's raw tables. */
export async function dropForecast(con: DuckDBConnection, exportId: string): Promise<void> {
  const found = await con.runAndReadAll("SELECT export_no FROM raw.forecast_exports WHERE export_id = $id", { id: exportId });
  for (const [no] of found.getRows()) {
    for (const table of Object.keys(FORECAST_RAW_TABLES)) await con.run(`DELETE FROM ${table} WHERE export_no = $no`, { no: Number(no) });
  }
}

/** The currency the export's numbers are in: the one its rows name, else the one asked for. */
function exportCurrency(table: ForecastTable, entry: StoredExport): string | null {
  const named = table.currencies.values.filter((v) => v !== "");
  if (named.length === 1) return named[0] as string;
  return typeof entry.request.currency === "string" && entry.request.currency !== "" ? entry.request.currency : null;
}

interface Week {
  period: number;
  span: number;
  week: number;
  isLatest: boolean;
}

/** Each (period, week) of the export once, marked latest, complete and for hygiene (read/weeks.ts). */
async function appendWeeks(con: DuckDBConnection, no: number, table: ForecastTable, weeks: Map<number, Week>, takenAt: number): Promise<void> {
  const byPeriod = new Map<number, Week[]>();
  for (const w of weeks.values()) byPeriod.set(w.period, [...(byPeriod.get(w.period) ?? []), w]);
  const rows: Array<[number, number, number | null, number, boolean, boolean]> = [];
  for (const list of byPeriod.values()) {
    const hygiene = hygieneWeek(list.map((w) => table.spanStart(w.span)), takenAt);
    list.forEach((w, i) => rows.push([no, w.period, w.week >= 0 ? w.week : null, w.span, w.isLatest, i === hygiene]));
  }
  await appendRows(con, "raw.forecast_weeks", rows);
}

/** Loads one forecast export; returns the number of `forecast` rows. */
export async function loadForecast(con: DuckDBConnection, entry: StoredExport, table: ForecastTable): Promise<{ rows: number; timePeriod: string | undefined }> {
  const exportId = entry.jobId;
  const { people, personOf } = hierarchy(table);
  await appendRows(
    con,
    "raw.people",
    people.map((person) => {
      const manager = person.manager === undefined ? undefined : people[person.manager];
      return [
        exportId,
        person.userId,
        text(person.p.user),
        text(person.p.email),
        text(person.p.role),
        manager ? manager.userId : null,
        manager ? text(manager.p.user) : null,
        person.level,
        person.isRep,
        text(person.p.crmUserId),
        text(person.p.parentRole),
        person.region,
      ];
    }),
  );
  await appendRows(con, "raw.reports_to", (function* () {
    for (const [leader, member, depth] of reportsTo(people)) yield [exportId, leader, member, depth];
  })());

  const next = await con.runAndReadAll("SELECT coalesce(max(export_no), 0)::INTEGER + 1 FROM raw.forecast_exports");
  const no = Number(next.getRows()[0]?.[0] ?? 1);
  const forecastId = typeof entry.request.forecastId === "string" ? entry.request.forecastId : null;
  const periods = Array.from({ length: table.periodCount }, (_, code) => table.periodId(code) || table.periodLabel(code));
  const timePeriod = periods.filter((p) => p !== "").sort()[0];
  const takenAt = entry.completedAt;
  const nameOf = new Map(people.map((person) => [person.userId, person.p.user]));
  await appendRows(con, "raw.forecast_exports", [[no, exportId, forecastId, text(timePeriod), text(exportCurrency(table, entry)), ts(takenAt)]]);
  await appendRows(con, "raw.forecast_people", Array.from(personOf, (i, code) => [no, code, (people[i] as Person).userId]));
  await appendRows(con, "raw.forecast_fields", table.fields.values.map((name, code) => [no, code, name]));
  await appendRows(con, "raw.forecast_periods", periods.map((period, code) => [no, code, period]));
  await appendRows(
    con,
    "raw.forecast_spans",
    Array.from({ length: table.spanCount }, (_, code) => [no, code, day(table.spanStart(code)), day(table.spanEnd(code)), isCompleteWeek(table.spanStart(code), table.spanEnd(code), takenAt)]),
  );
  await appendRows(con, "raw.forecast_changers", table.changers.values.map((id, code) => [no, code, text(id), text(nameOf.get(id))]));
  await appendRows(con, "raw.forecast_currencies", table.currencies.values.map((name, code) => [no, code, text(name)]));

  let exportNo: Float64Array | undefined;
  const weeks = new Map<number, Week>();
  const chunks = function* (): Generator<NumericChunk> {
    for (const f of pivotForecast(table)) {
      exportNo ??= new Float64Array(f.person.length).fill(no);
      for (let k = 0, last = -1; k < f.length; k++) {
        const week = Number.isNaN(f.week[k]) ? -1 : (f.week[k] as number);
        const key = ((f.period[k] as number) * table.spanCount + (f.span[k] as number)) * 4096 + Math.min(4095, week + 1);
        // Rows of one week come together: only a change of week is looked up.
        if (key === last) continue;
        last = key;
        if (!weeks.has(key)) weeks.set(key, { period: f.period[k] as number, span: f.span[k] as number, week, isLatest: f.isLatest[k] === 1 });
      }
      yield { length: f.length, columns: [exportNo, ...FACT_COLUMNS.map(([, , of]) => of(f))] };
    }
  };
  const rows = await appendNumericChunks(con, "raw.forecast_facts", ["INTEGER", ...FACT_COLUMNS.map(([, type]) => type)], chunks());
  await appendWeeks(con, no, table, weeks, takenAt);
  return { rows, timePeriod };
}
