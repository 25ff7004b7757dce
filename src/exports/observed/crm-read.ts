/**
 * The part of a synchronous forecast read (clari_get_forecast) kept for questions: CRM Total and
 * CRM Closed per person, field and week (Clari serves them only there) with each person's quota
 * and place in the hierarchy, compactly (names and weeks once). The query tables' crm_totals
 * come from these. A read without CRM values keeps nothing.
 */
import { hierarchy } from "../query/hierarchy.js";
import type { ForecastTable } from "../table/forecast-table.js";

export interface CrmRead {
  forecastId: string;
  scopeId: string | null;
  /** [userId, name, level, isRep, region, managerUserId] */
  people: Array<[string, string, number, boolean, string | null, string | null]>;
  fields: string[];
  /** [timePeriod, week (null when unknown), weekStart, weekEnd] */
  weeks: Array<[string, number | null, string, string]>;
  currencies: string[];
  /** [person, field, week, currency, crmTotal, crmClosed, quota] (indexes into the lists above) */
  rows: Array<[number, number, number, number, number | null, number | null, number | null]>;
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function crmRead(forecastId: string, scopeId: string | undefined, table: ForecastTable): CrmRead | undefined {
  const c = table.columns;
  const type = (name: string) => table.dataTypes.values.indexOf(name);
  const [total, closed, quota] = [type("crm_total"), type("crm_closed"), type("quota")];
  if (total < 0 && closed < 0) return undefined;
  const { people, personOf } = hierarchy(table);
  const weekIndex = new Map<string, number>();
  const weeks: CrmRead["weeks"] = [];
  const weekOf = (i: number): number => {
    const period = table.periodId(c.period[i] as number) || table.periodLabel(c.period[i] as number);
    const span = c.span[i] as number;
    const week = c.week[i] as number;
    const key = `${period}|${span}|${week}`;
    let w = weekIndex.get(key);
    if (w === undefined) {
      w = weeks.length;
      weekIndex.set(key, w);
      weeks.push([period, week >= 0 ? week : null, table.spanStart(span), table.spanEnd(span)]);
    }
    return w;
  };
  // Quota per person and week; CRM values per person, field and week.
  const quotas = new Map<string, number>();
  const values = new Map<string, [number, number, number, number, number | null, number | null, number | null]>();
  for (let i = 0; i < table.length; i++) {
    const dt = c.dataType[i] as number;
    if (dt !== total && dt !== closed && dt !== quota) continue;
    const person = personOf[c.person[i] as number] as number;
    const week = weekOf(i);
    const v = num(c.value[i] as number);
    if (dt === quota) {
      if (v !== null) quotas.set(`${person}|${week}`, v);
      continue;
    }
    const key = `${person}|${c.field[i]}|${week}|${c.currency[i]}`;
    const row = values.get(key) ?? [person, c.field[i] as number, week, c.currency[i] as number, null, null, null];
    if (dt === total) row[4] = v;
    else row[5] = v;
    values.set(key, row);
  }
  if (values.size === 0) return undefined;
  const rows = [...values.values()].map((row): CrmRead["rows"][number] => [row[0], row[1], row[2], row[3], row[4], row[5], quotas.get(`${row[0]}|${row[2]}`) ?? null]);
  return {
    forecastId,
    scopeId: scopeId ?? null,
    people: people.map((p) => [p.userId, p.p.user, p.level, p.isRep, p.region, p.manager === undefined ? null : (people[p.manager]?.userId ?? null)]),
    fields: [...table.fields.values],
    weeks,
    currencies: [...table.currencies.values],
    rows,
  };
}
