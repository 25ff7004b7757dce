/**
 * The input and output schemas of the forecast query engine. The input is used directly as an
 * MCP tool input schema: one flat z.object of simple optional properties with defaults.
 */

import { z } from "zod";
import { DATA_TYPES } from "../read/values.js";

export const QUERY_MODES = ["aggregate", "not_updated", "week_over_week", "rollup"] as const;
export const GROUP_DIMENSIONS = ["user", "role", "parentRole", "field", "dataType", "week", "timePeriod"] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];
export const AGGREGATES = ["sum", "avg", "min", "max", "count"] as const;

const nameList = (what: string) => z.array(z.string()).optional().describe(what);

/** Descriptions are terse on purpose: this schema is sent to the model with every conversation. */
export const ForecastQuerySchema = z.object({
  mode: z
    .enum(QUERY_MODES)
    .default("aggregate")
    .describe(
      "aggregate: totals by groupBy. not_updated: who has not updated their call. week_over_week: change vs previous week. rollup: underRole's own call, team total, direct reports' teams",
    ),
  user: nameList("Users by name, email or userId"),
  role: nameList("Roles, e.g. Sales Rep - East"),
  parentRole: nameList("Direct reports of these roles"),
  roleContains: z.string().optional().describe("Roles containing this text, e.g. West"),
  underRole: z.string().optional().describe("A role (or user name) and everyone under it"),
  managersOnly: z.boolean().default(false).describe("Only roles with direct reports"),
  field: nameList("Fields, e.g. [Commit, Quota]"),
  dataType: z
    .array(z.enum(DATA_TYPES))
    .optional()
    .describe("Default forecast, quota"),
  week: z
    .union([z.enum(["latest", "all"]), z.number().int().min(0).max(60)])
    .default("latest")
    .describe("latest, all, or a week number"),
  compareToWeek: z.number().int().min(0).max(60).optional(),
  timePeriod: z.string().optional().describe("2026_Q4 or Q4 2026"),
  groupBy: z.array(z.enum(GROUP_DIMENSIONS)).optional().describe("Default [field, dataType]"),
  aggregate: z.enum(AGGREGATES).default("sum"),
  pivotFields: z.boolean().default(false).describe("One column per field"),
  ratio: z
    .object({ numerator: z.string(), denominator: z.string() })
    .optional()
    .describe("Adds e.g. commitToQuota from {numerator: Commit, denominator: Quota}"),
  sortBy: z.string().default("value").describe("value or a column name"),
  sortOrder: z.enum(["asc", "desc"]).default("desc"),
  limit: z.number().int().min(1).max(200).default(25),
});

/** The query as a caller may write it (defaults optional). */
export type ForecastQueryInput = z.input<typeof ForecastQuerySchema>;
/** The query with defaults applied. */
export type ForecastQuery = z.output<typeof ForecastQuerySchema>;

const CellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One week of one time period, as query results name it. */
const WeekSchema = z.object({ timePeriod: z.string(), week: z.number().int(), weekStart: z.string(), weekEnd: z.string() });

export const ForecastQueryResultSchema = z.object({
  mode: z.enum(QUERY_MODES),
  weeks: z
    .array(WeekSchema)
    .describe("The week(s) used, per time period (empty when week is \"all\")"),
  comparedWeeks: z
    .array(WeekSchema)
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
