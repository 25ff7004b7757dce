/**
 * The CRM totals kept from synchronous forecast reads (observed/crm-read.ts) into raw.crm_rows;
 * the crm_totals view keeps the newest read of each tab, period, week, person, field and currency.
 * Rebuilt whole when reads change, like the audit pages.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { CrmRead } from "../observed/crm-read.js";
import type { Observed } from "../store/observations.js";
import { appendRows, day, text, ts } from "./append.js";

function* rowsOf(read: Observed<CrmRead>): Generator<DuckDBValue[]> {
  const r = read.data;
  for (const [p, f, w, cur, total, closed, quota] of r.rows) {
    const person = r.people[p];
    const week = r.weeks[w];
    if (!person || !week) continue;
    const [userId, name, level, isRep, region, manager] = person;
    yield [
      r.forecastId,
      text(week[0]),
      text(r.currencies[cur]),
      week[1],
      day(week[2]),
      day(week[3]),
      userId,
      text(name),
      level,
      isRep,
      region,
      manager,
      text(r.fields[f]),
      total,
      closed,
      quota,
      r.scopeId,
      ts(read.fetchedAt),
    ];
  }
}

export async function loadCrmReads(con: DuckDBConnection, reads: readonly Observed<CrmRead>[]): Promise<number> {
  await con.run("DELETE FROM raw.crm_rows");
  return appendRows(con, "raw.crm_rows", (function* () {
    for (const read of reads) yield* rowsOf(read);
  })());
}
