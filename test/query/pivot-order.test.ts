/**
 * The pivot (one row per person, period, field, week and span, data types side by side) does not
 * depend on the order of the export's rows: its grouping looks up a key only where it changes from
 * the row before and sizes its hash table by those changes, which must hold however the rows come.
 * A sandbox export's entries in their own order, shuffled, and sorted so that one key's rows lie
 * far apart give the same pivoted rows (compared by name, as each order numbers its codes anew).
 * Weeks below -1 (a flat export may say "Week -2") are keys of their own too. A key space too large
 * for the bitset that proves no key recurs is grouped by hashing, with the same rows either way.
 */
import { describe, expect, it } from "vitest";
import { pivotForecast } from "../../src/exports/query/forecast-pivot.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import type { ForecastTable } from "../../src/exports/table/forecast-table.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { Rng } from "../../src/sandbox/random.js";
import { SPEC_HEADER } from "../exports/fixtures.js";

const HEADERS = { apikey: "sandbox", "content-type": "application/json" };

async function sandboxExport(): Promise<{ entries: Record<string, unknown>[] } & Record<string, unknown>> {
  const sandbox = await startSandbox({ users: 40, jobDurationMs: 10 });
  try {
    const body = { includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated", "adjustment"] };
    const queued = await fetch(`${sandbox.v4Url}/export/forecast/net_bookings`, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
    const { jobId } = (await queued.json()) as { jobId: string };
    for (;;) {
      const answer = (await (await fetch(`${sandbox.v4Url}/export/jobs/${jobId}`, { headers: HEADERS })).json()) as { job?: { status: string }; status?: string };
      if (String((answer.job ?? answer).status).startsWith("DONE")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return (await (await fetch(`${sandbox.v4Url}/export/jobs/${jobId}/results`, { headers: HEADERS })).json()) as { entries: Record<string, unknown>[] };
  } finally {
    await sandbox.close();
  }
}

/** Every pivoted row by name (person, period, field, week start, week), sorted. */
function pivotedByName(table: ForecastTable): string[] {
  const rows: string[] = [];
  for (const f of pivotForecast(table, 97)) {
    for (let k = 0; k < f.length; k++) {
      const numbers = [f.week, f.isLatest, f.value, f.adjustment, f.updated, f.updatedOn, f.adjustedOn, f.crmTotal, f.crmClosed].map((c) => c[k]);
      const who = (code: number) => (Number.isNaN(code) ? null : table.changers.get(code));
      rows.push(JSON.stringify([table.person(f.person[k] as number).userId, table.periodId(f.period[k] as number), table.fields.get(f.field[k] as number), table.spanStart(f.span[k] as number), ...numbers, who(f.updatedBy[k] as number), who(f.adjustedBy[k] as number)]));
    }
  }
  return rows.sort();
}

describe("the forecast pivot", () => {
  it("gives the same rows whatever the order of the export's entries", async () => {
    const doc = await sandboxExport();
    const rng = new Rng(7);
    const shuffled = [...doc.entries];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    // By field first: a person's entries for one field and week lie a whole field's rows apart.
    const byField = [...doc.entries].sort((a, b) => String(a.fieldId).localeCompare(String(b.fieldId)) || String(a.userId).localeCompare(String(b.userId)));
    const own = pivotedByName(normaliseForecast(JSON.stringify(doc)));
    expect(own.length).toBeGreaterThan(1000);
    expect(pivotedByName(normaliseForecast(JSON.stringify({ ...doc, entries: shuffled })))).toEqual(own);
    expect(pivotedByName(normaliseForecast(JSON.stringify({ ...doc, entries: byField })))).toEqual(own);
    // Each entry split in two (its value and its update flag as two entries, far apart): the pivot puts them together again.
    const values = doc.entries.map((e) => ({ ...e, isUpdated: undefined, updatedBy: undefined, updatedOn: undefined }));
    const flags = doc.entries.filter((e) => e.isUpdated !== undefined).map((e) => ({ ...e, forecastValue: undefined, quotaValue: undefined, adjustmentValue: undefined }));
    const split = pivotedByName(normaliseForecast(JSON.stringify({ ...doc, entries: [...values, ...flags] })));
    expect(split).toEqual(own);
  });

  it("keeps weeks below -1 apart, each its own row with its own values", () => {
    const rng = new Rng(11);
    const rows: string[][] = [];
    const expected = new Map<string, number>();
    for (const user of ["Ann", "Bo", "Cy"]) {
      for (const field of ["Commit", "Best Case"]) {
        for (const week of [-3, -2, -1, 1, 2]) {
          const day = String(10 + week).padStart(2, "0");
          const value = Math.round(rng.next() * 1e6) / 100;
          // The week's value, then a lower one for the same key: the pivot keeps the larger.
          for (const v of [value, value / 2]) {
            rows.push([user, `${user.toLowerCase()}@example.com`, "", "Rep", "Manager", "Q4 2026", field, week === -1 ? "" : `Week ${week}`, `11/${day}/2026`, `11/${day}/2026`, "Forecast Value", `$${v.toFixed(2)}`]);
          }
          // The pivot writes a week below 1 as NULL: its week start tells the rows apart.
          expected.set(`${user}|${field}|${week < 0 ? -1 : week}|2026-11-${day}`, value);
        }
      }
    }
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    // A "Week -2" row first: its codes are all 0, so its key is the lowest there is.
    rows.unshift(...rows.splice(rows.findIndex((r) => r[7] === "Week -2"), 1));
    const csv = [SPEC_HEADER, ...rows].map((r) => r.map((c) => `"${c}"`).join(",")).join("\r\n");
    const table = normaliseForecast(csv);
    expect(table.length).toBe(rows.length);
    const got = new Map<string, number>();
    for (const f of pivotForecast(table)) {
      for (let k = 0; k < f.length; k++) {
        const week = Number.isNaN(f.week[k]) ? -1 : (f.week[k] as number);
        got.set(`${table.person(f.person[k] as number).user}|${table.fields.get(f.field[k] as number)}|${week}|${table.spanStart(f.span[k] as number)}`, Math.round((f.value[k] as number) * 100) / 100);
      }
    }
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it("groups a key space too large for its bitset by hashing, whether the keys recur or not", () => {
    // 800 people x 150 week starts x weeks 1..1500: 180M possible keys, past the 2^27 a bitset covers.
    const rows: string[][] = [];
    const expected = new Map<string, number>();
    const people = Array.from({ length: 800 }, (_, p) => `User ${p}`);
    const dayOf = (p: number): Date => new Date(Date.UTC(2026, 0, 5) + (p % 150) * 86_400_000);
    const mdy = (d: Date): string => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
    const firsts: string[][] = [];
    const seconds: string[][] = [];
    people.forEach((user, p) => {
      const week = p === 0 ? 1500 : (p % 150) + 1;
      const start = dayOf(p);
      const row = (v: number) => [user, `u${p}@example.com`, "", "Rep", "Manager", "Q4 2026", "Commit", `Week ${week}`, mdy(start), mdy(start), "Forecast Value", `$${v.toFixed(2)}`];
      const value = (p + 1) * 10;
      // Two values for one key: the pivot keeps the larger.
      firsts.push(row(value));
      seconds.push(row(value / 4));
      expected.set(`${user}|${week}|${start.toISOString().slice(0, 10)}`, value);
    });
    const pivoted = (order: string[][]): Record<string, number> => {
      const csv = [SPEC_HEADER, ...order].map((r) => r.map((c) => `"${c}"`).join(",")).join("\r\n");
      const table = normaliseForecast(csv);
      expect(table.length).toBe(order.length);
      expect(table.personCount * table.spanCount * 1501).toBeGreaterThan(2 ** 27);
      const got = new Map<string, number>();
      for (const f of pivotForecast(table, 61)) {
        for (let k = 0; k < f.length; k++) {
          got.set(`${table.person(f.person[k] as number).user}|${f.week[k]}|${table.spanStart(f.span[k] as number)}`, f.value[k] as number);
        }
      }
      return Object.fromEntries([...got].sort());
    };
    const want = Object.fromEntries([...expected].sort());
    // Each key's rows side by side (runs), then each key's second row far from its first (a key recurs).
    rows.push(...firsts.flatMap((r, i) => [r, seconds[i]!]));
    expect(pivoted(rows)).toEqual(want);
    expect(pivoted([...firsts, ...seconds])).toEqual(want);
  });
});
