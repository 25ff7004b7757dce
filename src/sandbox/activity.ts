/**
 * The activity family's HTTP handler: the queued POST /export/activity (body validation, date
 * bounds, error bodies) whose results are {activities:[...]} from activity-data.ts via the org.
 */
import { ACTIVITY_TYPES, type ActivityFilters, type ActivityType, matchesActivity } from "./activity-data.js";
import { DAY_MS, compactDateTime } from "./calendar.js";
import { activityError } from "./errors.js";
import { queueExport } from "./export.js";
import { isPlainObject, parseJsonBody } from "./http-util.js";
import type { Reply, RequestContext } from "./types.js";

/**
 * "Date and timezone provided will only be considered and not the time": the bound is the start
 * of that calendar date in the given offset (endDate: the start of the following day).
 */
export function parseActivityDate(s: string, end: boolean): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s.trim());
  if (!m) return null;
  let offset = m[2] ?? "Z";
  if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${m[1]}T00:00:00${offset.toUpperCase() === "Z" ? "Z" : offset}`);
  if (Number.isNaN(ms)) return null;
  return end ? ms + DAY_MS : ms;
}

/** POST /export/activity */
export function exportActivity(ctx: RequestContext): Reply {
  const state = ctx.state;
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok || (parsed.value !== undefined && !isPlainObject(parsed.value))) {
    return activityError(state, 400, "The request body was malformed.");
  }
  const body = (parsed.value ?? {}) as Record<string, unknown>;
  let types: ActivityType[] = [...ACTIVITY_TYPES];
  if (body.activityTypes !== undefined && body.activityTypes !== null) {
    const raw = body.activityTypes;
    if (!Array.isArray(raw) || !raw.every((t) => typeof t === "string")) {
      return activityError(state, 400, "activityTypes must be a list of strings.");
    }
    const invalid = (raw as string[]).filter((t) => !(ACTIVITY_TYPES as readonly string[]).includes(t));
    if (invalid.length > 0) {
      return activityError(
        state,
        400,
        `Invalid activityTypes: [${invalid.join(", ")}]. Supported activityTypes are [${ACTIVITY_TYPES.join(", ")}].`,
      );
    }
    if (raw.length > 0) types = raw as ActivityType[];
  }
  const bound = (key: "startDate" | "endDate"): number | null | "invalid" => {
    const v = body[key];
    if (v === undefined || v === null || v === "") return null;
    if (typeof v !== "string") return "invalid";
    return parseActivityDate(v, key === "endDate") ?? "invalid";
  };
  const from = bound("startDate");
  const to = bound("endDate");
  if (from === "invalid") return activityError(state, 400, "startDate must be an ISO-8601 date-time, e.g. 2023-03-10T00:00:00Z.");
  if (to === "invalid") return activityError(state, 400, "endDate must be an ISO-8601 date-time, e.g. 2023-03-21T00:00:00Z.");
  if (from !== null && to !== null && from >= to) return activityError(state, 400, "startDate must be before endDate.");
  if (body.exportFormat !== undefined && body.exportFormat !== null && body.exportFormat !== "JSON") {
    return activityError(state, 400, "exportFormat must be JSON.");
  }
  const filters: ActivityFilters = { types: new Set(types), from, to };
  const org = state.org;
  return queueExport(
    ctx,
    {
      module: "ACTIVITY",
      title: "Activity Export",
      fileName: `clari_export_activity_${compactDateTime(ctx.now)}.json`,
      fileType: "JSON",
      currency: "USD",
      produce: () => ({
        contentType: "application/json",
        body: JSON.stringify({ activities: org.activities().filter((a) => matchesActivity(a, filters)) }),
      }),
    },
    202,
  );
}
