/**
 * The input and output schemas of the forecast query engine. The input is used directly as an
 * MCP tool input schema: one flat z.object of simple optional properties with defaults.
 */

import { z } from "zod";
import { DATA_TYPES } from "./values.js";

export const QUERY_MODES = ["aggregate", "not_updated", "week_over_week", "rollup"] as const;
export const GROUP_DIMENSIONS = ["user", "role", "parentRole", "field", "dataType", "week", "timePeriod"] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];
export const AGGREGATES = ["sum", "avg", "min", "max", "count"] as const;

const nameList = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe(`${what} One value or a list; case-insensitive exact match.`);

export const ForecastQuerySchema = z.object({
  mode: z
    .enum(QUERY_MODES)
    .default("aggregate")
    .describe(
      "aggregate: totals grouped by groupBy (default). not_updated: users who have not updated their call in the week. " +
        "week_over_week: change per user and field between the latest week and the one before (needs an export with history). " +
        "rollup: for underRole, that role's own call, its whole team's total, and one line per direct report's team.",
    ),
  user: nameList("Only these users, by name, email or userId."),
  role: nameList("Only these roles (hierarchy nodes), e.g. \"Sales Rep - East\"."),
  parentRole: nameList("Only users whose parent role is one of these (direct reports of that role)."),
  roleContains: z
    .string()
    .optional()
    .describe("Only roles whose name contains this text, case-insensitive, e.g. \"West\"."),
  underRole: z
    .string()
    .optional()
    .describe(
      "Only this role and everyone under it, recursively (a team). A user name is accepted and means that user's role. Required by rollup (defaults to the top role).",
    ),
  managersOnly: z
    .boolean()
    .default(false)
    .describe("Only roles that have at least one direct report (managers' own calls)."),
  field: nameList("Only these fields, e.g. [\"Commit\", \"Quota\"]."),
  dataType: z
    .union([z.enum(DATA_TYPES), z.array(z.enum(DATA_TYPES))])
    .optional()
    .describe(
      "Only these data types. Default: forecast and quota (week_over_week: forecast; not_updated: forecast_updated). crm_total = opportunities total, crm_closed = closed amount.",
    ),
  week: z
    .union([z.enum(["latest", "all"]), z.number().int()])
    .default("latest")
    .describe("Which week: \"latest\" (default, per time period), \"all\", or a week index as exported (1-based)."),
  compareToWeek: z
    .number()
    .int()
    .optional()
    .describe("week_over_week only: the earlier week to compare with (default: the week before `week`)."),
  timePeriod: z
    .string()
    .optional()
    .describe("Only this time period, as a label (\"Q4 2026\") or id (\"2026_Q4\")."),
  groupBy: z
    .array(z.enum(GROUP_DIMENSIONS))
    .optional()
    .describe(
      "aggregate: dimensions to group by (default [\"field\", \"dataType\"]); week_over_week: default [\"user\"]. Field and data type are always kept apart when summing.",
    ),
  aggregate: z.enum(AGGREGATES).default("sum").describe("aggregate: how to combine values in a group."),
  pivotFields: z
    .boolean()
    .default(false)
    .describe("aggregate: one row per group with one column per field, e.g. {user, Commit, Quota}."),
  ratio: z
    .object({
      numerator: z.string().describe("Field name, e.g. \"Commit\""),
      denominator: z.string().describe("Field name, e.g. \"Quota\""),
    })
    .optional()
    .describe("aggregate: add a ratio column such as commitToQuota (implies pivotFields; null when the denominator is 0 or missing)."),
  sortBy: z
    .string()
    .default("value")
    .describe(
      "\"value\" (the aggregate; with a ratio the ratio; week_over_week the absolute change) or any column name of the result.",
    ),
  sortOrder: z.enum(["asc", "desc"]).default("desc").describe("Sort direction."),
  limit: z.number().int().min(1).max(200).default(25).describe("Most rows to return (1-200)."),
});

/** The query as a caller may write it (defaults optional). */
export type ForecastQueryInput = z.input<typeof ForecastQuerySchema>;
/** The query with defaults applied. */
export type ForecastQuery = z.output<typeof ForecastQuerySchema>;

const CellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const ForecastQueryResultSchema = z.object({
  mode: z.enum(QUERY_MODES),
  weeks: z
    .array(
      z.object({
        timePeriod: z.string(),
        week: z.number().int(),
        weekStart: z.string(),
        weekEnd: z.string(),
      }),
    )
    .describe("The week(s) used, per time period (empty when week is \"all\")"),
  comparedWeeks: z
    .array(
      z.object({
        timePeriod: z.string(),
        week: z.number().int(),
        weekStart: z.string(),
        weekEnd: z.string(),
      }),
    )
    .optional()
    .describe("week_over_week: the earlier week(s) compared with"),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), CellSchema)),
  totalGroups: z.number().int().describe("Rows before the limit"),
  truncated: z.boolean().describe("True when rows were cut to the limit"),
  matchedRows: z.number().int().describe("Export rows that passed the filters"),
  warnings: z.array(z.string()),
});
export type ForecastQueryResult = z.infer<typeof ForecastQueryResultSchema>;
export type ForecastQueryCell = z.infer<typeof CellSchema>;
