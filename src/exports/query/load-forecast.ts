/**
 * A stored forecast export into the query tables: `people` and `reports_to` from its hierarchy,
 * `forecast` from its value rows (one row per person, field and week, the data types side by
 * side). The rows come from the row model the streaming readers built (deps.tables), pivoted in
 * forecast-pivot.ts and written column by column; names are stored once per export.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { StoredExport } from "../store/store.js";
import type { ForecastPerson } from "../table/forecast-row.js";
import type { ForecastTable } from "../table/forecast-table.js";
import { appendNumericChunks, appendRows, day, text, type NumericChunk } from "./append.js";
import { pivotForecast, type ForecastFacts } from "./forecast-pivot.js";

interface Person {
  userId: string;
  p: ForecastPerson;
  manager: number | undefined;
  level: number;
  isRep: boolean;
}

/** The key a person is known by in the query tables: Clari's userId, else the CRM id, email or name. */
export function personKey(p: ForecastPerson): string {
  return p.userId || p.crmUserId || p.email || p.user;
}

/** One entry per user (the first tuple seen), with manager, level and whether they lead anyone. */
export function hierarchy(table: ForecastTable): { people: Person[]; personOf: Int32Array } {
  const people: Person[] = [];
  const index = new Map<string, number>();
  const personOf = new Int32Array(table.personCount);
  for (let code = 0; code < table.personCount; code++) {
    const p = table.person(code);
    const key = personKey(p);
    let i = index.get(key);
    if (i === undefined) {
      i = people.length;
      index.set(key, i);
      people.push({ userId: key, p, manager: undefined, level: 0, isRep: true });
    }
    personOf[code] = i;
  }
  const byRole = new Map<string, number>();
  people.forEach((person, i) => {
    if (person.p.role !== "" && !byRole.has(person.p.role)) byRole.set(person.p.role, i);
  });
  for (const person of people) {
    const parent = person.p.parentRole;
    const m = parent !== "" && parent !== person.p.role ? byRole.get(parent) : undefined;
    if (m !== undefined && people[m] !== person) {
      person.manager = m;
      (people[m] as Person).isRep = false;
    }
  }
  // Levels from the root down; a cycle (bad data) is cut where it closes.
  for (const person of people) {
    let level = 0;
    const seen = new Set<Person>([person]);
    for (let m = person.manager; m !== undefined; m = people[m]?.manager) {
      const up = people[m] as Person;
      if (seen.has(up)) break;
      seen.add(up);
      level++;
    }
    person.level = level;
  }
  return { people, personOf };
}

function* reportsTo(exportId: string, people: Person[]): Generator<[string, string, string, number]> {
  for (const person of people) {
    const seen = new Set<Person>([person]);
    let depth = 1;
    for (let m = person.manager; m !== undefined; m = people[m]?.manager, depth++) {
      const leader = people[m] as Person;
      if (seen.has(leader)) break;
      seen.add(leader);
      yield [exportId, leader.userId, person.userId, depth];
    }
  }
}

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

/** The raw tables the `forecast` view joins (database.ts); each row carries its export's number. */
export const FORECAST_RAW_TABLES = {
  "raw.forecast_exports": "export_no INTEGER, export_id VARCHAR, forecast_id VARCHAR",
  "raw.forecast_people": "export_no INTEGER, code INTEGER, user_id VARCHAR",
  "raw.forecast_fields": "export_no INTEGER, code INTEGER, name VARCHAR",
  "raw.forecast_periods": "export_no INTEGER, code INTEGER, time_period VARCHAR",
  "raw.forecast_spans": "export_no INTEGER, code INTEGER, week_start DATE, week_end DATE",
  "raw.forecast_changers": "export_no INTEGER, code INTEGER, user_id VARCHAR",
  "raw.forecast_currencies": "export_no INTEGER, code INTEGER, name VARCHAR",
  "raw.forecast_facts": `export_no INTEGER, ${FACT_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", ")}`,
} as const;

/**
 * The contract's `forecast` table, as a view: numbers and codes are stored once per row, names
 * once per export (a 5,000-user export's rows as text took ~80 MB before compression).
 */
export const FORECAST_VIEW = `SELECT e.export_id, e.forecast_id, pe.time_period, x.week, s.week_start, x.is_latest::BOOLEAN AS is_latest_week,
    p.user_id, f.name AS field, x.value, x.adjustment, (x.updated <> 0) AS updated,
    ub.user_id AS updated_by, to_timestamp(x.updated_on / 1000) AS updated_on,
    ab.user_id AS adjusted_by, to_timestamp(x.adjusted_on / 1000) AS adjusted_on,
    s.week_end, x.crm_total, x.crm_closed, cu.name AS currency
  FROM raw.forecast_facts x
  JOIN raw.forecast_exports e ON e.export_no = x.export_no
  JOIN raw.forecast_people p ON p.export_no = x.export_no AND p.code = x.person
  JOIN raw.forecast_fields f ON f.export_no = x.export_no AND f.code = x.field
  JOIN raw.forecast_periods pe ON pe.export_no = x.export_no AND pe.code = x.period
  JOIN raw.forecast_spans s ON s.export_no = x.export_no AND s.code = x.span
  LEFT JOIN raw.forecast_currencies cu ON cu.export_no = x.export_no AND cu.code = x.currency
  LEFT JOIN raw.forecast_changers ub ON ub.export_no = x.export_no AND ub.code = x.updated_by
  LEFT JOIN raw.forecast_changers ab ON ab.export_no = x.export_no AND ab.code = x.adjusted_by`;

/** Removes one export's rows from the forecast's raw tables. */
export async function dropForecast(con: DuckDBConnection, exportId: string): Promise<void> {
  const found = await con.runAndReadAll("SELECT export_no FROM raw.forecast_exports WHERE export_id = $id", { id: exportId });
  for (const [no] of found.getRows()) {
    for (const table of Object.keys(FORECAST_RAW_TABLES)) await con.run(`DELETE FROM ${table} WHERE export_no = $no`, { no: Number(no) });
  }
}

/** Loads one forecast export; returns the number of `forecast` rows. */
export async function loadForecast(con: DuckDBConnection, entry: StoredExport, table: ForecastTable): Promise<{ rows: number; timePeriod: string | undefined }> {
  const exportId = entry.jobId;
  const { people, personOf } = hierarchy(table);
  await appendRows(
    con,
    "people",
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
      ];
    }),
  );
  await appendRows(con, "reports_to", reportsTo(exportId, people));

  const next = await con.runAndReadAll("SELECT coalesce(max(export_no), 0)::INTEGER + 1 FROM raw.forecast_exports");
  const no = Number(next.getRows()[0]?.[0] ?? 1);
  const forecastId = typeof entry.request.forecastId === "string" ? entry.request.forecastId : null;
  await appendRows(con, "raw.forecast_exports", [[no, exportId, forecastId]]);
  await appendRows(con, "raw.forecast_people", Array.from(personOf, (i, code) => [no, code, (people[i] as Person).userId]));
  await appendRows(con, "raw.forecast_fields", table.fields.values.map((name, code) => [no, code, name]));
  await appendRows(con, "raw.forecast_periods", Array.from({ length: table.periodCount }, (_, code) => [no, code, table.periodId(code) || table.periodLabel(code)]));
  await appendRows(con, "raw.forecast_spans", Array.from({ length: table.spanCount }, (_, code) => [no, code, day(table.spanStart(code)), day(table.spanEnd(code))]));
  await appendRows(con, "raw.forecast_changers", table.changers.values.map((id, code) => [no, code, text(id)]));
  await appendRows(con, "raw.forecast_currencies", table.currencies.values.map((name, code) => [no, code, text(name)]));

  let exportNo: Float64Array | undefined;
  const chunks = function* (): Generator<NumericChunk> {
    for (const f of pivotForecast(table)) {
      exportNo ??= new Float64Array(f.person.length).fill(no);
      yield { length: f.length, columns: [exportNo, ...FACT_COLUMNS.map(([, , of]) => of(f))] };
    }
  };
  const rows = await appendNumericChunks(con, "raw.forecast_facts", ["INTEGER", ...FACT_COLUMNS.map(([, type]) => type)], chunks());
  const periods = await con.runAndReadAll("SELECT min(time_period) FROM raw.forecast_periods WHERE export_no = $no", { no });
  const period = periods.getRows()[0]?.[0];
  return { rows, timePeriod: typeof period === "string" ? period : undefined };
}
