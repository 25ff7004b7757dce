/**
 * One synthetic forecast dataset, and a tiny test-only writer that renders it in Clari's three
 * shapes (JSON tables, flat JSON array, CSV). `expectedRows()` is the truth every shape must
 * normalise to.
 */
import type { ForecastRow } from "../../src/exports/table/forecast-row.js";
import type { ForecastTable } from "../../src/exports/table/forecast-table.js";

export interface FxUser {
  userId: string;
  name: string;
  email: string;
  crmId: string;
  hierarchyId: string;
  role: string;
  parentHierarchyId: string;
  parentRole: string;
}

export interface FxEntry {
  userId: string;
  fieldId: string;
  timeFrameId: string;
  forecastValue?: number | null;
  quotaValue?: number;
  isUpdated?: boolean;
  adjustmentValue?: number;
  aggregationTotal?: number;
  closedTotal?: number;
}

const U = (
  i: number,
  name: string,
  role: string,
  hierarchyId: string,
  parentRole: string,
  parentHierarchyId: string,
): FxUser => ({
  userId: `280627:00E4M00000${1000 + i}AAA`,
  name,
  email: `${name.split(" ")[0]?.toLowerCase()}@example.com`,
  crmId: `0051100000${69000 + i}AAI`,
  hierarchyId,
  role,
  parentHierarchyId,
  parentRole,
});

export const FX_USERS: FxUser[] = [
  U(0, "Alice Chen", "CRO", "h0", "", ""),
  U(1, "Bob Ortiz", "VP Sales - West", "h1", "CRO", "h0"),
  U(2, "Carol Diaz", "VP Sales - East", "h2", "CRO", "h0"),
  U(3, "Dan Wu", "Manager - West 1", "h3", "VP Sales - West", "h1"),
  U(4, "Eve Stone", "Sales Rep - West A", "h4", "Manager - West 1", "h3"),
  U(5, "Frank Moss", "Sales Rep - West B", "h5", "Manager - West 1", "h3"),
  U(6, "Grace Lee", "Sales Rep - East", "h6", "VP Sales - East", "h2"),
  U(7, "Heidi Park", "Sales Rep - East 2", "h7", "VP Sales - East", "h2"),
];

export const FX_FIELDS = [
  { fieldId: "f_commit", fieldName: "Commit", fieldType: "FORECAST" },
  { fieldId: "f_best", fieldName: "Best Case", fieldType: "FORECAST" },
  { fieldId: "f_quota", fieldName: "Quota", fieldType: "QUOTA" },
];

export const FX_PERIOD = {
  timePeriodId: "2026_Q4",
  type: "QUARTER",
  label: "Q4 2026",
  year: 2026,
  startDate: "2026-10-01",
  endDate: "2026-12-31",
};

/** Week 1 starts before the quarter, as in real exports. Listed in week order here. */
export const FX_FRAMES = [
  { timeFrameId: "TF:2026-09-28", startDate: "2026-09-28", endDate: "2026-10-04" },
  { timeFrameId: "TF:2026-10-05", startDate: "2026-10-05", endDate: "2026-10-11" },
  { timeFrameId: "TF:2026-10-12", startDate: "2026-10-12", endDate: "2026-10-18" },
];

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function buildEntries(): FxEntry[] {
  const out: FxEntry[] = [];
  FX_USERS.forEach((u, i) => {
    FX_FRAMES.forEach((f, wi) => {
      const w = wi + 1;
      const commit = round2(100000 * (i + 1) + 2500.25 * w * (i % 3 === 0 ? -1 : 1));
      const commitEntry: FxEntry = {
        userId: u.userId,
        fieldId: "f_commit",
        timeFrameId: f.timeFrameId,
        forecastValue: i === 7 && w === 1 ? null : commit,
        isUpdated: (i + w) % 3 !== 0,
        aggregationTotal: round2(300000 * (i + 1) + 1000 * w),
        closedTotal: 50000 * (i + 1) * w,
      };
      if (i % 2 === 0) commitEntry.adjustmentValue = round2(-1200.5 * w);
      out.push(commitEntry);
      out.push({
        userId: u.userId,
        fieldId: "f_best",
        timeFrameId: f.timeFrameId,
        forecastValue: round2(commit * 1.5),
        isUpdated: (i * w) % 2 === 0,
      });
      out.push({
        userId: u.userId,
        fieldId: "f_quota",
        timeFrameId: f.timeFrameId,
        quotaValue: 500000 * (i + 1),
      });
    });
  });
  return out;
}

/** Deterministic shuffle: entries (and so weeks) come unordered, as from Clari. */
function shuffle<T>(items: T[], seed = 42): T[] {
  const a = [...items];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export const FX_ENTRIES: FxEntry[] = shuffle(buildEntries());

const VALUE_ORDER: Array<[keyof FxEntry, string]> = [
  ["forecastValue", "forecast"],
  ["quotaValue", "quota"],
  ["isUpdated", "forecast_updated"],
  ["adjustmentValue", "adjustment"],
  ["aggregationTotal", "crm_total"],
  ["closedTotal", "crm_closed"],
];

/** The truth: the rows every shape must normalise to, in entry order. */
export function expectedRows(): ForecastRow[] {
  const rows: ForecastRow[] = [];
  for (const e of FX_ENTRIES) {
    const u = FX_USERS.find((x) => x.userId === e.userId);
    const f = FX_FIELDS.find((x) => x.fieldId === e.fieldId);
    const wi = FX_FRAMES.findIndex((x) => x.timeFrameId === e.timeFrameId);
    const frame = FX_FRAMES[wi];
    if (!u || !f || !frame) throw new Error("bad fixture");
    for (const [key, dataType] of VALUE_ORDER) {
      if (!(key in e)) continue;
      const v = e[key] as number | boolean | null;
      rows.push({
        user: u.name,
        email: u.email,
        crmUserId: u.crmId,
        userId: u.userId,
        role: u.role,
        parentRole: u.parentRole,
        timePeriod: FX_PERIOD.label,
        timePeriodId: FX_PERIOD.timePeriodId,
        field: f.fieldName,
        week: wi + 1,
        weekStart: frame.startDate,
        weekEnd: frame.endDate,
        dataType,
        value: v,
        currency: dataType === "forecast_updated" || v === null ? "" : "$",
      });
    }
  }
  return rows;
}

/** The JSON tables shape. `entriesFirst` puts entries before the lookup tables. */
export function writeTables(opts: { entriesFirst?: boolean; pretty?: boolean } = {}): string {
  const entries = FX_ENTRIES.map((e) => ({
    ...e,
    timePeriodId: FX_PERIOD.timePeriodId,
    currency: { code: "USD", symbol: "$" },
  }));
  const users = FX_USERS.map((u) => ({
    userId: u.userId,
    name: u.name,
    email: u.email,
    crmId: u.crmId,
    scopeId: `${u.hierarchyId}::MGR`,
    hierarchyId: u.hierarchyId,
    hierarchyName: u.role,
    parentHierarchyId: u.parentHierarchyId || null,
    parentHierarchyName: u.parentRole || null,
  }));
  // Time frames listed out of order.
  const timeFrames = [FX_FRAMES[2], FX_FRAMES[0], FX_FRAMES[1]];
  const doc = opts.entriesFirst
    ? { entries, users, fields: FX_FIELDS, timePeriods: [FX_PERIOD], timeFrames }
    : { users, fields: FX_FIELDS, timePeriods: [FX_PERIOD], timeFrames, entries };
  return JSON.stringify(doc, null, opts.pretty ? 2 : undefined);
}

export const SPEC_HEADER = [
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
];

const DATA_TYPE_LABEL: Record<string, string> = {
  forecast: "Forecast Value",
  quota: "Quota Value",
  forecast_updated: "Forecast Updated",
  adjustment: "Adjustment Value",
  crm_total: "CRM Total",
  crm_closed: "CRM Closed",
};

export function formatMoney(v: number): string {
  const s = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return v < 0 ? `($${s})` : `$${s}`;
}

function usDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${m}/${d}/${y}`;
}

function cellsOf(r: ForecastRow): Record<string, string> {
  return {
    User: r.user,
    Email: r.email,
    "CRM User ID": r.crmUserId,
    Role: r.role,
    "Parent Role": r.parentRole,
    Timeframe: r.timePeriod,
    Field: r.field,
    Week: String(r.week),
    "Start Day": usDate(r.weekStart),
    "End Day": usDate(r.weekEnd),
    "Data Type": DATA_TYPE_LABEL[r.dataType] ?? r.dataType,
    "Data Value":
      r.value === null ? "" : typeof r.value === "boolean" ? (r.value ? "Yes" : "No") : formatMoney(r.value),
  };
}

/** The 12-column records (header first) in the given column order. */
export function records(columns: string[] = SPEC_HEADER): string[][] {
  return [columns, ...expectedRows().map((r) => columns.map((c) => cellsOf(r)[c] ?? ""))];
}

/** The spec's flat array shape: header then 12 strings per row, all in one array. */
export function writeFlatArray(columns: string[] = SPEC_HEADER): string {
  return JSON.stringify(records(columns).flat());
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writeCsv(columns: string[] = SPEC_HEADER): string {
  return `${records(columns)
    .map((r) => r.map(csvCell).join(","))
    .join("\r\n")}\r\n`;
}

/** Rows without userId (the flat shapes do not carry it). */
export function withoutUserId(rows: ForecastRow[]): Array<Omit<ForecastRow, "userId">> {
  return rows.map(({ userId: _u, ...rest }) => rest);
}

/** The fixture in each of the three shapes: the shape, its text, and whether its rows keep userIds. */
export function allShapes(): ReadonlyArray<readonly ["tables" | "flat_array" | "csv", string, boolean]> {
  return [
    ["tables", writeTables({ entriesFirst: true }), true],
    ["flat_array", writeFlatArray(), false],
    ["csv", writeCsv(), false],
  ];
}

/** A table's rows, and who changed each and when, as plain values (to compare two tables). */
export const rowsOf = (t: ForecastTable): ForecastRow[] => [...t.rows()];
export const changesOf = (t: ForecastTable) => Array.from({ length: t.length }, (_, i) => [t.changedBy(i), t.changedOn(i)]);
