/**
 * Assistant workflows as MCP prompts. Each names the tools to call, in order, and what to report,
 * so a user can pick "forecast call prep" in their client and get a consistent answer. The forecast
 * prompts share one export request (forecastExportStep), the same as clari_export_forecast's default
 * call, so following several of them (or asking anything after the default export) reuses one export.
 * Columns are named as `table.column` of clari_query's contract; a test holds them to it.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { exportForecast } from "../tools/catalog/export-forecast.js";

const forecastArgs = {
  forecastId: z.string().describe("Forecast Tab id from its Clari URL, e.g. net_bookings"),
  timePeriod: z.string().optional().describe("Quarter YYYY_QN; default the current quarter"),
};

function userMessage(text: string) {
  return { messages: [{ role: "user" as const, content: { type: "text" as const, text } }] };
}

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The one forecast export every prompt asks for: the tab and period, everything else the tool's own
 * defaults (read from its schema, so they cannot drift apart).
 */
export function forecastExportRequest(forecastId: string, timePeriod: string | undefined): Record<string, unknown> {
  return { forecastId, ...(timePeriod ? { timePeriod } : {}) };
}

function forecastExportStep(forecastId: string, timePeriod: string | undefined): string {
  const defaults = z.object(exportForecast.inputSchema).parse(forecastExportRequest(forecastId, timePeriod));
  return (
    `1. clari_export_forecast ${JSON.stringify(forecastExportRequest(forecastId, timePeriod))} (nothing more: its defaults are typesToExport ${JSON.stringify(defaults.typesToExport)}, ` +
    `includeHistorical ${String(defaults.includeHistorical)}, so every forecast question reuses this one export). If it returns outcome running, call clari_wait_for_job with its jobId. ` +
    `If the summary warns that Clari returned another quarter, say so first.`
  );
}

const period = (timePeriod: string | undefined): string => (timePeriod ? `timePeriod "${timePeriod}"` : "the current quarter");

/** The period as a named metric's argument: NULL is the newest period stored for the tab (the one just exported). */
const periodArg = (timePeriod: string | undefined): string => (timePeriod ? `'${timePeriod}'` : "NULL");

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "forecast_call_prep",
    { title: "Forecast call prep", description: "Commit vs quota by manager, week-over-week change and missing updates", argsSchema: forecastArgs },
    ({ forecastId, timePeriod }) =>
      userMessage(
        [
          `Prepare me for this week's forecast call on "${forecastId}" for ${period(timePeriod)}.`,
          forecastExportStep(forecastId, timePeriod),
          `2. clari_query, each manager's own Commit against their own quota: SELECT name, value AS commit, quota, attainment FROM attainment('${forecastId}', ${periodArg(timePeriod)}) WHERE NOT is_rep ORDER BY attainment`,
          `3. clari_query, the biggest Commit movers since last week: SELECT name, previous, value, change FROM movement('${forecastId}', ${periodArg(timePeriod)}) ORDER BY abs(change) DESC LIMIT 10`,
          `4. clari_query, who has not updated their call in the hygiene week (the latest week at least two days old): SELECT manager_name, name FROM hygiene('${forecastId}', ${periodArg(timePeriod)}) WHERE NOT updated ORDER BY 1, 2`,
          `Report: a table of managers with Commit, Quota and attainment; the top movers; the people to chase. Numbers only from the tool results.`,
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "forecast_hygiene",
    { title: "Forecast hygiene", description: "Who has not updated their forecast call, by team", argsSchema: forecastArgs },
    ({ forecastId, timePeriod }) =>
      userMessage(
        [
          `Find who has not updated their forecast call in "${forecastId}" for ${period(timePeriod)}.`,
          forecastExportStep(forecastId, timePeriod),
          `2. clari_query, who has not updated in the hygiene week (the latest week at least two days old), with their region: SELECT region, manager_name, name FROM hygiene('${forecastId}', ${periodArg(timePeriod)}) WHERE NOT updated ORDER BY 1, 2, 3`,
          `Report the people grouped by their manager (manager_name), with the week the answer is for.`,
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "pipeline_changes",
    {
      title: "Pipeline changes",
      description: "What changed in Clari over the last N days, from the audit log",
      argsSchema: { days: z.string().optional().describe("How many days back (1-30, default 7)") },
    },
    ({ days }) => {
      const n = Math.min(30, Math.max(1, Number(days) || 7));
      const from = new Date(Date.now() - n * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
      return userMessage(
        [
          `Summarise what changed in our Clari org over the last ${n} days.`,
          `1. clari_list_audit_events with dateFrom "${from}" and limit 200; follow nextCursor while it is present (or use clari_export_audit_events with the same dateFrom for one file if there are many pages).`,
          `2. clari_query over audit_events (audit_events.event, audit_events.actor_name, audit_events.event_time, audit_events.event_parameters): counts by event and by actor; call out forecast and opportunity changes and unusual actors (audit_events.actor_type SYSTEM or JOB, audit_events.impersonating_actor_id set).`,
          `Report counts, the most active people (changes, not views or logins), and notable changes with their timestamps.`,
        ].join("\n"),
      );
    },
  );

  server.registerPrompt(
    "account_engagement",
    {
      title: "Account engagement",
      description: "Meetings and emails per account over the last N days, with deal risk",
      argsSchema: { days: z.string().optional().describe("How many days back (default 30)") },
    },
    ({ days }) => {
      const n = Math.min(180, Math.max(1, Number(days) || 30));
      const end = Date.now();
      const start = end - n * DAY_MS;
      return userMessage(
        [
          `Show engagement per account over the last ${n} days.`,
          `1. clari_export_activity with startDate "${day(start)}T00:00:00Z" and endDate "${day(end)}T00:00:00Z" (clari_wait_for_job if still running).`,
          `2. clari_query: meetings and emails per account (activities joined to activity_accounts on activity_accounts.activity_id; activities.activity_type, activity_accounts.account_name, the latest activities.activity_time).`,
          `3. clari_get_opportunities with fromActivities {"since":"${day(start)}","until":"${day(end)}"}: Clari's score (deal risk) of every deal those activities touched, looked up and stored server-side; then clari_query over opportunities (opportunities.score, opportunities.stage, opportunities.account_name) for the riskiest.`,
          `Report accounts with meetings, emails, last touch and risk; flag open deals with little recent activity.`,
        ].join("\n"),
      );
    },
  );
}
