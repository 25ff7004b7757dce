/**
 * The 12 columns of the flat forecast shapes (the spec's JSON array and CSV) and the header
 * names they are known by: a header row, or a row object's keys, maps onto column positions here.
 */

import { canonicalDataType } from "./values.js";

/** The spec's 12 column names, in the spec's order. */
export const FORECAST_COLUMNS = [
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

export type ColumnKey =
  | "user"
  | "email"
  | "crmUserId"
  | "userId"
  | "role"
  | "parentRole"
  | "timePeriod"
  | "field"
  | "week"
  | "weekStart"
  | "weekEnd"
  | "dataType"
  | "value"
  | "currency";

export const COLUMN_KEYS: readonly ColumnKey[] = [
  "user",
  "email",
  "crmUserId",
  "userId",
  "role",
  "parentRole",
  "timePeriod",
  "field",
  "week",
  "weekStart",
  "weekEnd",
  "dataType",
  "value",
  "currency",
];

const HEADER_ALIASES: Record<string, ColumnKey> = {
  user: "user",
  username: "user",
  name: "user",
  email: "email",
  emailaddress: "email",
  useremail: "email",
  crmuserid: "crmUserId",
  crmid: "crmUserId",
  crmuser: "crmUserId",
  userid: "userId",
  clariuserid: "userId",
  role: "role",
  hierarchy: "role",
  hierarchyname: "role",
  parentrole: "parentRole",
  parenthierarchy: "parentRole",
  parenthierarchyname: "parentRole",
  timeframe: "timePeriod",
  timeperiod: "timePeriod",
  period: "timePeriod",
  field: "field",
  fieldname: "field",
  week: "week",
  weeknumber: "week",
  startday: "weekStart",
  startdate: "weekStart",
  weekstart: "weekStart",
  endday: "weekEnd",
  enddate: "weekEnd",
  weekend: "weekEnd",
  datatype: "dataType",
  type: "dataType",
  datavalue: "value",
  value: "value",
  currency: "currency",
};

export function headerKey(name: unknown): ColumnKey | undefined {
  if (typeof name !== "string") return undefined;
  return HEADER_ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, "")];
}

export type Cell = string | number | boolean | null;

/** Column positions by meaning; -1 when the column is absent. */
export type ColumnIndex = Record<ColumnKey, number>;

export const DEFAULT_INDEX: ColumnIndex = {
  user: 0,
  email: 1,
  crmUserId: 2,
  userId: -1,
  role: 3,
  parentRole: 4,
  timePeriod: 5,
  field: 6,
  week: 7,
  weekStart: 8,
  weekEnd: 9,
  dataType: 10,
  value: 11,
  currency: -1,
};

/** Maps header cells to column positions. Returns undefined when the cells are not a header. */
export function mapHeader(cells: readonly Cell[]): ColumnIndex | undefined {
  const index = Object.fromEntries(COLUMN_KEYS.map((k) => [k, -1])) as ColumnIndex;
  let recognised = 0;
  cells.forEach((c, i) => {
    const key = headerKey(c);
    if (key && index[key] === -1) {
      index[key] = i;
      recognised++;
    }
  });
  if (recognised < 3 || index.dataType < 0 || index.value < 0) return undefined;
  return index;
}

/** Row objects are read into cells in COLUMN_KEYS order. */
export const OBJECT_INDEX: ColumnIndex = Object.fromEntries(COLUMN_KEYS.map((k, i) => [k, i])) as ColumnIndex;

const dataTypeCache = new Map<string, boolean>();
/** True when the cell is a recognised Data Type label ("Forecast Value", "Quota", ...). */
export function isDataTypeCell(c: Cell | undefined): boolean {
  if (typeof c !== "string") return false;
  let known = dataTypeCache.get(c);
  if (known === undefined) {
    known = canonicalDataType(c).known;
    if (dataTypeCache.size < 1000) dataTypeCache.set(c, known);
  }
  return known;
}
