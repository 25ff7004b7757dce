/**
 * The three forecast result shapes, all built from the same canonical entries:
 * 1. JSON tables {entries, users, fields, timePeriods, timeFrames} (what production extractors read)
 * 2. the spec's flat array of strings (a 12-column header, then 12 strings per row)
 * 3. CSV with the same 12 columns
 * Weeks come back unordered, as real Clari returns them (a deterministic shuffle).
 */
import { isoDate, quarterLastDay, quarterStart, usDate, type Week } from "./calendar.js";
import { type CanonicalEntry, type DataType, FORECAST_FIELDS, type ForecastSelection } from "./forecast-data.js";
import { rngFor } from "./random.js";
import type { SandboxUser } from "./users.js";

export interface Currency {
  code: string;
  symbol: string;
  /** Units of this currency per USD (fixed). */
  rate: number;
}

export const CURRENCIES: Readonly<Record<string, Currency>> = {
  USD: { code: "USD", symbol: "$", rate: 1 },
  EUR: { code: "EUR", symbol: "€", rate: 0.92 },
  GBP: { code: "GBP", symbol: "£", rate: 0.79 },
  CAD: { code: "CAD", symbol: "CA$", rate: 1.36 },
  AUD: { code: "AUD", symbol: "A$", rate: 1.52 },
};

export function findCurrency(code: string | undefined | null): Currency | undefined {
  if (code === undefined || code === null || code === "") return CURRENCIES.USD;
  return CURRENCIES[code.toUpperCase()];
}

/** Convert a USD amount to the currency, rounded to cents. */
export function convert(usd: number, currency: Currency): number {
  return Math.round(usd * currency.rate * 100) / 100;
}

/** `$3,000,190.00`; negatives in parentheses: `($1,200.50)`. */
export function formatMoney(value: number, currency: Currency): string {
  const abs = Math.abs(value).toFixed(2);
  const [whole = "0", frac = "00"] = abs.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const s = `${currency.symbol}${grouped}.${frac}`;
  return value < 0 ? `(${s})` : s;
}

export const FLAT_HEADER = [
  "User",
  "Email",
  "CRM User ID",
  "Role",
  "Parent Role",
  "Timeframe",
  "Field",
  "Week",
  "Start Day",
  "End Day",
  "Data Type",
  "Data Value",
] as const;

export const DATA_TYPE_LABELS: Readonly<Record<DataType, string>> = {
  forecast: "Forecast Value",
  quota: "Quota Value",
  forecast_updated: "Forecast Updated",
  adjustment: "Adjustment Value",
  crm_total: "CRM Total",
  crm_closed: "CRM Closed",
};

/** The same selection with its weeks in a deterministic, unordered sequence. */
function shuffledWeeks(seed: number, forecastId: string, sel: ForecastSelection): Week[] {
  return rngFor(seed, "week-order", forecastId, sel.period.timePeriodId, sel.weeks.length).shuffle([...sel.weeks]);
}

function groupByWeek(entries: readonly CanonicalEntry[]): Map<number, CanonicalEntry[]> {
  const byWeek = new Map<number, CanonicalEntry[]>();
  for (const e of entries) {
    let list = byWeek.get(e.weekIndex);
    if (!list) byWeek.set(e.weekIndex, (list = []));
    list.push(e);
  }
  return byWeek;
}

export interface TablesEntry {
  userId: string;
  fieldId: string;
  timePeriodId: string;
  timeFrameId: string;
  forecastValue?: number;
  quotaValue?: number;
  adjustmentValue?: number;
  aggregationTotal?: number;
  closedTotal?: number;
  isUpdated?: boolean;
  updatedBy?: string;
  updatedOn?: number;
  adjustedBy?: string;
  adjustedOn?: number;
  currency: { code: string; symbol: string };
}

export interface TablesResult {
  entries: TablesEntry[];
  users: Array<Pick<
    SandboxUser,
    "userId" | "name" | "email" | "crmId" | "scopeId" | "hierarchyId" | "hierarchyName" | "parentHierarchyId" | "parentHierarchyName"
  >>;
  fields: Array<{ fieldId: string; fieldName: string; fieldType: string }>;
  timePeriods: Array<{ timePeriodId: string; type: "quarter"; label: string; year: number; startDate: string; endDate: string }>;
  timeFrames: Array<{ timeFrameId: string; startDate: string; endDate: string }>;
}

export const timeFrameId = (weekStart: string): string => `TF:${weekStart}`;

/** Shape 1: JSON tables. One entry per (user, field, week) with a property per data type. */
export function toTables(seed: number, forecastId: string, sel: ForecastSelection, currency: Currency): TablesResult {
  const weeks = shuffledWeeks(seed, forecastId, sel);
  const byWeek = groupByWeek(sel.entries);
  const cur = { code: currency.code, symbol: currency.symbol };
  const entries: Array<Omit<TablesEntry, "currency">> = [];
  for (const week of weeks) {
    const index = new Map<string, Omit<TablesEntry, "currency">>();
    for (const e of byWeek.get(week.index) ?? []) {
      const key = `${e.userId}\u0000${e.fieldId}`;
      let t = index.get(key);
      if (!t) {
        t = { userId: e.userId, fieldId: e.fieldId, timePeriodId: e.timePeriod, timeFrameId: timeFrameId(e.weekStart) };
        index.set(key, t);
        entries.push(t);
      }
      const v = e.value;
      switch (e.dataType) {
        case "forecast":
          t.forecastValue = convert(v as number, currency);
          break;
        case "quota":
          t.quotaValue = convert(v as number, currency);
          break;
        case "adjustment":
          t.adjustmentValue = convert(v as number, currency);
          if (e.by !== undefined) t.adjustedBy = e.by;
          if (e.on !== undefined) t.adjustedOn = e.on;
          break;
        case "crm_total":
          t.aggregationTotal = convert(v as number, currency);
          break;
        case "crm_closed":
          t.closedTotal = convert(v as number, currency);
          break;
        case "forecast_updated":
          t.isUpdated = v === true;
          if (e.by !== undefined) t.updatedBy = e.by;
          if (e.on !== undefined) t.updatedOn = e.on;
          break;
      }
    }
  }
  const p = sel.period;
  return {
    entries: entries.map((t) => ({ ...t, currency: cur })),
    users: sel.users.map((u) => ({
      userId: u.userId,
      name: u.name,
      email: u.email,
      crmId: u.crmId,
      scopeId: u.scopeId,
      hierarchyId: u.hierarchyId,
      hierarchyName: u.hierarchyName,
      parentHierarchyId: u.parentHierarchyId,
      parentHierarchyName: u.parentHierarchyName,
    })),
    fields: FORECAST_FIELDS.map((f) => ({ fieldId: f.fieldId, fieldName: f.fieldName, fieldType: f.fieldType })),
    timePeriods: [
      {
        timePeriodId: p.timePeriodId,
        type: "quarter",
        label: p.label,
        year: p.year,
        startDate: isoDate(quarterStart(p)),
        endDate: isoDate(quarterLastDay(p)),
      },
    ],
    timeFrames: weeks.map((w) => ({ timeFrameId: timeFrameId(w.startDate), startDate: w.startDate, endDate: w.endDate })),
  };
}

/** Rows (without the header) of the 12-column flat form, weeks unordered. */
export function toFlatRows(seed: number, forecastId: string, sel: ForecastSelection, currency: Currency): string[][] {
  const weeks = shuffledWeeks(seed, forecastId, sel);
  const byWeek = groupByWeek(sel.entries);
  const users = new Map(sel.users.map((u) => [u.userId, u]));
  const rows: string[][] = [];
  for (const week of weeks) {
    const start = usDate(week.start);
    const end = usDate(week.end);
    for (const e of byWeek.get(week.index) ?? []) {
      const u = users.get(e.userId);
      const value =
        typeof e.value === "boolean" ? (e.value ? "Yes" : "No") : formatMoney(convert(e.value, currency), currency);
      rows.push([
        u?.name ?? "",
        u?.email ?? "",
        u?.crmId ?? "",
        u?.hierarchyName ?? "",
        u?.parentHierarchyName ?? "",
        sel.period.label,
        e.fieldName,
        String(e.weekIndex),
        start,
        end,
        DATA_TYPE_LABELS[e.dataType],
        value,
      ]);
    }
  }
  return rows;
}

/** Shape 2: the spec's single flat array of strings. */
export function toFlatArray(seed: number, forecastId: string, sel: ForecastSelection, currency: Currency): string[] {
  const out: string[] = [...FLAT_HEADER];
  for (const row of toFlatRows(seed, forecastId, sel, currency)) out.push(...row);
  return out;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shape 3: RFC 4180 CSV (CRLF line ends), same 12 columns. */
export function toCsv(seed: number, forecastId: string, sel: ForecastSelection, currency: Currency): string {
  const lines = [FLAT_HEADER.map(csvCell).join(",")];
  for (const row of toFlatRows(seed, forecastId, sel, currency)) lines.push(row.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
