/**
 * The shapes of the summaries a tool result carries about an export (and the synchronous forecast
 * read): one per kind of export, strict, so a result that gains or loses a key fails its tool's
 * output check instead of changing its contract unseen. The summarisers build these types; the tools
 * declare these schemas as their output.
 */
import { z } from "zod";

export const ForecastSummarySchema = z.strictObject({
  shape: z.enum(["tables", "flat_array", "csv", "empty"]).describe("The export file's shape"),
  rowCount: z.number().int().describe("Normalised rows (one per user, field, week and data type)"),
  userCount: z.number().int().describe("Distinct users"),
  roleCount: z.number().int().describe("Distinct roles (hierarchy nodes)"),
  fields: z.array(z.string()).describe("Forecast and quota field names (at most 50)"),
  fieldCount: z.number().int(),
  dataTypes: z.array(z.string()).describe("Data types present: forecast, quota, forecast_updated, adjustment, crm_total, crm_closed"),
  timePeriods: z
    .array(z.strictObject({ label: z.string(), id: z.string().describe("YYYY_QN, or empty when not a quarter") }))
    .describe("Time periods the export actually holds"),
  weeks: z.strictObject({
    count: z.number().int().describe("Distinct weeks (per time period)"),
    firstStart: z.string().nullable(),
    lastStart: z.string().nullable(),
    latestWeek: z.number().int().nullable().describe("Week index of the most recent week"),
    latestWeekStart: z.string().nullable(),
    latestWeekEnd: z.string().nullable(),
  }),
  dataWeek: z
    .strictObject({ timePeriod: z.string(), week: z.number().int(), start: z.string(), text: z.string().describe('"week 9 of 2026_Q4, starting 2026-11-23"') })
    .nullable()
    .describe("The week the latest-week numbers of the text refer to"),
  levels: z
    .array(
      z.strictObject({
        level: z.number().int().describe("0 = the top of the hierarchy, 1 = its reports, ..."),
        label: z.string().describe("The level's role, or what its roles have in common"),
        people: z.number().int(),
        roles: z.number().int(),
        user: z.string().optional().describe("The person, when the level holds one"),
      }),
    )
    .describe("Hierarchy levels, from the role -> parentRole chain"),
  currency: z.string().nullable().describe("The currency of the values when there is exactly one"),
  currencies: z.array(z.string()),
  latestWeekTotals: z
    .array(
      z.strictObject({
        timePeriod: z.string(),
        week: z.number().int(),
        level: z.number().int(),
        field: z.string(),
        dataType: z.string(),
        rows: z.number().int(),
        sum: z.number().nullable().optional().describe("Sum over the level's people (numbers)"),
        updated: z.number().int().optional().describe("forecast_updated: people of the level who updated"),
        notUpdated: z.number().int().optional().describe("forecast_updated: people of the level who did not update"),
      }),
    )
    .describe(
      "Per level, field and data type, the latest week's sum over that level's people. A manager's call covers their team, so levels are never added together: the top's call (level 0) is the org's number",
    ),
  totalsTruncated: z.boolean(),
  timePeriodMismatch: z
    .string()
    .optional()
    .describe("Set when the export holds another time period than the one requested"),
  warnings: z.array(z.string()),
});
export type ForecastSummary = z.output<typeof ForecastSummarySchema>;

const counted = z.array(z.strictObject({ name: z.string(), count: z.number().int() }));

export const AuditSummarySchema = z.strictObject({
  events: z.number().int().describe("Audit events in the export"),
  from: z.string().optional().describe("The earliest eventTimestamp"),
  to: z.string().optional().describe("The latest eventTimestamp"),
  byEvent: counted.describe("The most frequent events (at most 8)"),
  byActor: counted.describe("The most active actors (at most 8)"),
});
export type AuditSummary = z.output<typeof AuditSummarySchema>;

export const ActivitySummarySchema = z.strictObject({
  activities: z.number().int().describe("Activities in the export"),
  from: z.string().optional().describe("The earliest date"),
  to: z.string().optional().describe("The latest date"),
  byType: counted.describe("The most frequent activity types (at most 8)"),
  byAccount: counted.describe("The most engaged accounts (at most 8)"),
});
export type ActivitySummary = z.output<typeof ActivitySummarySchema>;

/** Any export's summary: exactly one of the three fits a given summary. */
export const ExportSummarySchema = z.union([ForecastSummarySchema, AuditSummarySchema, ActivitySummarySchema]);
export type ExportSummary = z.output<typeof ExportSummarySchema>;
