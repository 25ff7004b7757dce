import { z } from "zod";
import { ToolInputError } from "../kit/describe-error.js";
import { FORECAST_VIEW_URI } from "../../resources/uris.js";
import { defineTool } from "../kit/define-tool.js";
import { nothingStoredNotes, unknownTargetNotes } from "../kit/nothing-stored.js";
import { DEFAULT_ROWS, knownForecastTabs, MAX_ROWS, QueryError, type QueryAnswer } from "../../exports/index.js";

/**
 * Money keeps its cents; smaller numbers (ratios, shares) keep 4 significant digits, so 3.5646 and
 * 3.5575 stay apart. Rounding never reaches the next whole number: 0.99996 of quota reads 0.9999,
 * not 1 (a miss shown as met).
 */
export function numberText(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  const decimals = Math.min(20, Math.max(2, 3 - Math.floor(Math.log10(Math.abs(value)))));
  const rounded = Number(value.toFixed(decimals));
  if (Math.trunc(rounded) === Math.trunc(value)) return String(rounded);
  const scale = 10 ** decimals;
  return String(Math.trunc(value * scale) / scale);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return numberText(value);
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.replace(/\|/g, "/").replace(/\s*\n\s*/g, " ");
}

/** One compact table: a line on the count, the header, the rows. */
export function queryText(result: QueryAnswer): string {
  const { columns, rows, row_count, truncated } = result;
  const shown = rows.length === 0 ? ", none shown (the answer's size bound: select fewer or narrower columns, or aggregate)" : `, first ${rows.length} shown (raise limit, up to ${MAX_ROWS}, or aggregate)`;
  const lines = [`${row_count} row(s)${truncated ? shown : ""}.`];
  if (rows.length > 0) {
    lines.push(`| ${columns.map((c) => c.name).join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`);
    for (const row of rows) lines.push(`| ${row.map(cell).join(" | ")} |`);
  }
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  for (const definition of result.definitions) lines.push(`Definition: ${definition}`);
  return lines.join("\n");
}

export const query = defineTool({
  name: "clari_query",
  title: "Ask SQL of the stored data",
  description:
    "One read-only DuckDB SELECT over everything stored; bounded table. Columns, metrics: clari://schema. " +
    "forecast(export_id,forecast_id,time_period,week,is_latest_week,user_id,field,value,adjustment,updated,updated_by_name): newest export per tab, period, currency (forecast_all: all); " +
    "people(export_id,user_id,name,role,manager_name,level,is_rep,region), reports_to(export_id,leader_user_id,user_id,depth), forecast_weeks, crm_totals, " +
    "audit_events(event_time,actor_name,event,is_change,forecast_id,field,old_value,new_value), activities(+_accounts,_opportunities,_participants), opportunities, exports, " +
    "mcp_calls(called_at,caller,tool,outcome,quota_spent: tool calls, yours only without admin). " +
    "Filter one forecast_id and time_period; a leader's value is their own call: never add levels. " +
    "Metrics (tab, period): attainment, gap_to_quota, coverage, remaining_coverage, upside, haircut, hygiene, movement, adjustments; " +
    "e.g. SELECT name, attainment FROM attainment('net_bookings','2026_Q4') WHERE NOT is_rep.",
  toolset: "forecast",
  inputSchema: {
    sql: z.string().min(1).max(20_000).describe("One DuckDB SELECT"),
    limit: z.number().int().min(1).max(MAX_ROWS).default(DEFAULT_ROWS).describe(`Rows returned (default ${DEFAULT_ROWS})`),
  },
  outputSchema: {
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    row_count: z.number(),
    truncated: z.boolean(),
    warnings: z.array(z.string()).optional(),
    definitions: z.array(z.string()).optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writesClariData: false,
  uiResourceUri: FORECAST_VIEW_URI,
  async handler({ sql, limit }, deps, call) {
    let result;
    try {
      // mcp_calls: everyone's calls with the admin permission, else the caller's own.
      const everyone = call.permissions === undefined || call.permissions.includes("admin");
      const calls = (max: number) => deps.audit.list({ caller: everyone ? undefined : (call.caller ?? ""), limit: max });
      result = await deps.query.query(sql, limit, { caller: call.caller ?? "", signal: call.signal, calls });
    } catch (error) {
      if (error instanceof QueryError) throw new ToolInputError(error.message);
      throw error;
    }
    const tabs = (await knownForecastTabs(deps).catch(() => [])).map((t) => t.forecastId);
    const empty = [...(await nothingStoredNotes(sql, deps, tabs)), ...unknownTargetNotes(sql, deps, result.row_count)];
    const answer = { ...result, warnings: [...empty, ...result.warnings] };
    const { warnings, definitions, ...table } = answer;
    return { text: queryText(answer), structured: { ...table, ...(warnings.length > 0 ? { warnings } : {}), ...(definitions.length > 0 ? { definitions } : {}) } };
  },
});
