/**
 * A stored forecast export into the query tables: `people` and `reports_to` from its hierarchy,
 * `forecast` from its value rows (one row per person, field and week, the data types side by
 * side). The rows come from the row model the streaming readers built (deps.tables), written
 * column by column into a staging table and pivoted inside DuckDB.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { StoredExport } from "../store/store.js";
import type { ForecastPerson, ForecastTable } from "../table/forecast-table.js";
import { appendNumericColumns, appendRows, text } from "./append.js";

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

const STAGING = ["f_rows", "f_person", "f_field", "f_period", "f_span", "f_type", "f_currency", "f_changer", "f_latest"];

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

  for (const name of STAGING) await con.run(`DROP TABLE IF EXISTS load.${name}`);
  await con.run("CREATE TABLE load.f_rows (person INTEGER, period INTEGER, field INTEGER, span INTEGER, dtype INTEGER, currency INTEGER, week INTEGER, value DOUBLE, by_code INTEGER, on_ms DOUBLE)");
  await con.run("CREATE TABLE load.f_person (code INTEGER, user_id VARCHAR)");
  await con.run("CREATE TABLE load.f_field (code INTEGER, name VARCHAR)");
  await con.run("CREATE TABLE load.f_period (code INTEGER, id VARCHAR)");
  await con.run("CREATE TABLE load.f_span (code INTEGER, start_day VARCHAR, end_day VARCHAR)");
  await con.run("CREATE TABLE load.f_type (code INTEGER, name VARCHAR)");
  await con.run("CREATE TABLE load.f_currency (code INTEGER, name VARCHAR)");
  await con.run("CREATE TABLE load.f_changer (code INTEGER, user_id VARCHAR)");
  try {
    await appendRows(con, "load.f_person", Array.from(personOf, (i, code) => [code, (people[i] as Person).userId]));
    await appendRows(con, "load.f_field", table.fields.values.map((name, code) => [code, name]));
    await appendRows(con, "load.f_period", Array.from({ length: table.periodCount }, (_, code) => [code, table.periodId(code) || table.periodLabel(code)]));
    await appendRows(con, "load.f_span", Array.from({ length: table.spanCount }, (_, code) => [code, text(table.spanStart(code)), text(table.spanEnd(code))]));
    await appendRows(con, "load.f_type", table.dataTypes.values.map((name, code) => [code, name]));
    await appendRows(con, "load.f_currency", table.currencies.values.map((name, code) => [code, text(name)]));
    await appendRows(con, "load.f_changer", table.changers.values.map((id, code) => [code, text(id)]));

    const c = table.columns;
    const changes = table.changeColumns;
    const NONE = Number.NaN;
    await appendNumericColumns(
      con,
      "load.f_rows",
      [
        { type: "INTEGER", at: (i) => c.person[i] as number },
        { type: "INTEGER", at: (i) => c.period[i] as number },
        { type: "INTEGER", at: (i) => c.field[i] as number },
        { type: "INTEGER", at: (i) => c.span[i] as number },
        { type: "INTEGER", at: (i) => c.dataType[i] as number },
        { type: "INTEGER", at: (i) => c.currency[i] as number },
        { type: "INTEGER", at: (i) => ((c.week[i] as number) >= 0 ? (c.week[i] as number) : NONE) },
        { type: "DOUBLE", at: (i) => c.value[i] as number },
        { type: "INTEGER", at: changes ? (i) => changes.by[i] || NONE : () => NONE },
        { type: "DOUBLE", at: changes ? (i) => changes.on[i] as number : () => NONE },
      ],
      table.length,
    );
    const request = entry.request;
    const forecastId = typeof request.forecastId === "string" ? request.forecastId : null;
    await con.run(
      `CREATE TABLE load.f_latest AS SELECT r.period, max(s.start_day) AS start_day, max(r.week) AS week
       FROM load.f_rows r JOIN load.f_span s ON s.code = r.span GROUP BY r.period`,
    );
    await con.run(
      `INSERT INTO forecast
       WITH r AS (
         SELECT r.*, t.name AS dt FROM load.f_rows r JOIN load.f_type t ON t.code = r.dtype
       ), g AS (
         SELECT person, period, field, span, week,
           coalesce(max(value) FILTER (WHERE dt = 'forecast'), max(value) FILTER (WHERE dt = 'quota')) AS value,
           max(value) FILTER (WHERE dt = 'adjustment') AS adjustment,
           max(value) FILTER (WHERE dt = 'forecast_updated') AS updated,
           max(by_code) FILTER (WHERE dt = 'forecast_updated') AS updated_by,
           max(on_ms) FILTER (WHERE dt = 'forecast_updated') AS updated_on,
           max(by_code) FILTER (WHERE dt = 'adjustment') AS adjusted_by,
           max(on_ms) FILTER (WHERE dt = 'adjustment') AS adjusted_on,
           max(value) FILTER (WHERE dt = 'crm_total') AS crm_total,
           max(value) FILTER (WHERE dt = 'crm_closed') AS crm_closed,
           max(currency) FILTER (WHERE dt <> 'forecast_updated') AS currency
         FROM r GROUP BY person, period, field, span, week
       )
       SELECT $export_id, $forecast_id, pe.id, g.week, TRY_CAST(s.start_day AS DATE),
         coalesce(s.start_day = l.start_day, g.week = l.week),
         p.user_id, f.name, g.value, g.adjustment,
         CASE WHEN g.updated IS NULL THEN NULL ELSE g.updated <> 0 END,
         ub.user_id, to_timestamp(g.updated_on / 1000), ab.user_id, to_timestamp(g.adjusted_on / 1000),
         TRY_CAST(s.end_day AS DATE), g.crm_total, g.crm_closed, cu.name
       FROM g
       JOIN load.f_person p ON p.code = g.person
       JOIN load.f_field f ON f.code = g.field
       JOIN load.f_period pe ON pe.code = g.period
       JOIN load.f_span s ON s.code = g.span
       JOIN load.f_latest l ON l.period = g.period
       LEFT JOIN load.f_currency cu ON cu.code = g.currency
       LEFT JOIN load.f_changer ub ON ub.code = g.updated_by
       LEFT JOIN load.f_changer ab ON ab.code = g.adjusted_by`,
      { export_id: exportId, forecast_id: forecastId },
    );
    const counted = await con.runAndReadAll("SELECT count(*)::INTEGER, min(time_period) FROM forecast WHERE export_id = $id", { id: exportId });
    const [rows, period] = counted.getRows()[0] ?? [0, null];
    return { rows: Number(rows), timePeriod: typeof period === "string" ? period : undefined };
  } finally {
    for (const name of STAGING) await con.run(`DROP TABLE IF EXISTS load.${name}`);
  }
}
