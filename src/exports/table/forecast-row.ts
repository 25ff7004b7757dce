/** A forecast row as plain values: what readers intern and what small outputs (previews, pages) expand to. */

/** The person attributes of a row. */
export interface ForecastPerson {
  user: string;
  email: string;
  crmUserId: string;
  /** Clari userId (JSON tables shape only; "" for the flat array and CSV shapes). */
  userId: string;
  role: string;
  parentRole: string;
}

/** One normalised forecast row as a plain object (build these only for small outputs). */
export interface ForecastRow extends ForecastPerson {
  /** The time period label as exported ("Q4 2026", "July FY 2023"). */
  timePeriod: string;
  /** "YYYY_QN" when derivable from the label or the tables' timePeriodId, else "". */
  timePeriodId: string;
  field: string;
  week: number;
  /** ISO YYYY-MM-DD. */
  weekStart: string;
  weekEnd: string;
  dataType: string;
  value: number | boolean | null;
  currency: string;
}

/** The string-valued columns of {@link ForecastRow}. */
export const STRING_COLUMNS = [
  "user",
  "email",
  "crmUserId",
  "userId",
  "role",
  "parentRole",
  "timePeriod",
  "timePeriodId",
  "field",
  "weekStart",
  "weekEnd",
  "dataType",
  "currency",
] as const;
export type StringColumn = (typeof STRING_COLUMNS)[number];

/** Which export shape a table was read from. */
export type ForecastShape = "tables" | "flat_array" | "csv" | "empty";
