/**
 * A finished table is posted from the parse thread without its lookup indexes (string -> code)
 * and rebuilds them when next asked: every dictionary, the people and the (label, id) and
 * (start, end) pairs still find each string at its code, and a new string gets the next code.
 */
import { describe, expect, it } from "vitest";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { ForecastTable } from "../../src/exports/table/forecast-table.js";
import { allShapes, changesOf, rowsOf } from "./fixtures.js";

const DICTIONARIES = ["users", "emails", "crmUserIds", "userIds", "roles", "periodLabels", "periodIds", "fields", "dates", "dataTypes", "currencies", "changers"] as const;

/** The table as the server's thread receives it: indexes dropped, cloned with its columns moved. */
function posted(table: ForecastTable): ForecastTable {
  table.dropIndexes();
  return ForecastTable.fromClone(structuredClone(table, { transfer: table.transferables }));
}

/** Every Map reachable from the value (the indexes are the table's only Maps). */
function maps(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== "object" || seen.has(value) || ArrayBuffer.isView(value)) return 0;
  seen.add(value);
  if (value instanceof Map) return 1;
  return Object.values(value).reduce((n: number, v) => n + maps(v, seen), 0);
}

describe("a table posted without its lookup indexes", () => {
  it("carries no index, keeps its rows, and finds every string at its code again", async () => {
    for (const [shape, text] of allShapes()) {
      const original = await normaliseForecast(Buffer.from(text));
      const rows = rowsOf(original);
      const changes = changesOf(original);
      const codes = Object.fromEntries(DICTIONARIES.map((d) => [d, [...original[d].values]]));
      const people = Array.from({ length: original.personCount }, (_, code) => original.person(code));
      expect(maps(original), shape).toBeGreaterThan(0);

      const table = posted(original);
      expect(maps(table), `${shape}: an index travelled with the table`).toBe(0);
      expect(rowsOf(table)).toEqual(rows);
      expect(changesOf(table)).toEqual(changes);
      for (const d of DICTIONARIES) {
        const values = codes[d] as string[];
        values.forEach((v, code) => expect(table[d].lookup(v), `${shape} ${d} ${v}`).toBe(code));
        values.forEach((v, code) => expect(table[d].intern(v)).toBe(code));
        expect(table[d].intern(`new ${d}`)).toBe(values.length);
      }
      people.forEach((p, code) => expect(table.internPerson(p), `${shape} person ${code}`).toBe(code));
      expect(table.internPerson({ ...(people[0] ?? { user: "", email: "", crmUserId: "", userId: "", role: "", parentRole: "" }), userId: "someone-new" })).toBe(people.length);
      for (let code = 0; code < table.periodCount; code++) expect(table.internPeriod(table.periodLabel(code), table.periodId(code))).toBe(code);
      for (let code = 0; code < table.spanCount; code++) expect(table.internSpan(table.spanStart(code), table.spanEnd(code))).toBe(code);
      const spans = table.spanCount;
      expect(table.internSpan("2099-01-01", "2099-01-07")).toBe(spans);
      const periods = table.periodCount;
      expect(table.internPeriod("FY2099 Q1", "2099_Q1")).toBe(periods);
    }
  });
});
