import { z } from "zod";
import { redactDeep } from "../../security/redact-deep.js";
import type { Opportunity } from "../../client/schemas.js";
import { isoDateInput } from "../kit/common-inputs.js";
import { ToolInputError } from "../kit/describe-error.js";
import { defineTool } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";
import { lookUpOpportunities, lookUpTouchedOpportunities, MAX_TOUCHED } from "../../exports/index.js";

/** The columns a lookup shows unless `fields` says otherwise. */
const DEFAULT_FIELDS = ["name", "account", "stage", "amount", "closeDate", "owner", "score", "scoreMessage"];
const DEFAULT_LIMIT = 10;

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Short names and the field ids or aliases they stand for (normalised). */
const SYNONYMS: Record<string, string[]> = {
  name: ["opportunityname"],
  account: ["accountname"],
  stage: ["stagename"],
  owner: ["opportunityowner", "ownername"],
};

type Cell = string | number | boolean | null;

/** A field's value by alias or id ("Close Date", "opportunity.closeDate", "closeDate"); undefined when absent. */
function fieldValue(o: Opportunity, wanted: string): Cell | undefined {
  const key = norm(wanted);
  if (key === "score" || key === "crmscore") return o.crmScore?.score ?? null;
  if (key === "scoremessage") return o.crmScore?.message ?? null;
  const keys = [key, ...(SYNONYMS[key] ?? [])];
  const field = o.fields.find((f) => [f.id ?? "", (f.id ?? "").split(".").pop() ?? "", f.alias ?? ""].some((k) => k !== "" && keys.includes(norm(k))));
  if (!field) return undefined;
  const v = field.value;
  return v === undefined || v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? (v ?? null) : JSON.stringify(v);
}

/** Closed Won / Closed Lost stages, or an isClosed-like field that is true. */
function isClosed(o: Opportunity): boolean {
  const closedFlag = fieldValue(o, "isClosed") ?? fieldValue(o, "closed");
  if (closedFlag === true || closedFlag === "true") return true;
  return /^closed\b/i.test(String(fieldValue(o, "stage") ?? ""));
}

export const getOpportunities = defineTool({
  name: "clari_get_opportunities",
  title: "Get opportunities",
  description:
    "Clari's crmScore (deal risk) and chosen fields of 1-100 CRM ids, or of every deal stored activities touched in a window (fromActivities). Kept for clari_query.",
  toolset: "opportunity",
  inputSchema: {
    oppIds: z
      .array(z.string().regex(/^[A-Za-z0-9]{15,18}$/, "an opportunity id is a 15 or 18 character CRM id"))
      .min(1)
      .max(100)
      .optional(),
    fromActivities: z
      .object({ since: isoDateInput.describe("ISO date"), until: isoDateInput.optional().describe("ISO date; default now") })
      .optional()
      .describe(`Instead of oppIds (up to ${MAX_TOUCHED})`),
    fields: z.array(listedPlain(z.string().max(64))).max(30).optional().describe(`Aliases or ids; default ${DEFAULT_FIELDS.join(", ")}`),
    sort: z.enum(["score_asc", "score_desc"]).optional(),
    limit: z.number().int().min(1).max(100).default(DEFAULT_LIMIT),
    openOnly: z.boolean().default(false).describe("Skip Closed Won/Lost"),
    mode: z.string().regex(/^[A-Z_]{1,64}$/).optional(),
  },
  outputSchema: {
    found: z.number(),
    touched: z.number().optional().describe("Deals touched in the window"),
    missing: z.array(z.string()),
    closedSkipped: z.number().optional(),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ oppIds: given, fromActivities, fields, sort, limit, openOnly, mode }, deps, call) {
    if ((given === undefined) === (fromActivities === undefined)) throw new ToolInputError("Give either oppIds (1-100 CRM ids) or fromActivities ({since, until}), not both and not neither.");
    let oppIds = given ?? [];
    let read;
    let window: string | undefined;
    let touched;
    if (fromActivities) {
      const t = await lookUpTouchedOpportunities(deps, fromActivities, mode, call);
      if (t.activityExports === 0) {
        throw new ToolInputError(`No activity export is stored, so no deal is known to have been touched. Export activity first: clari_export_activity {"startDate":"${t.since.slice(0, 10)}","endDate":"${t.until.slice(0, 10)}"}, then ask again.`);
      }
      oppIds = t.oppIds;
      read = t.opportunities;
      window = `${t.total} deal(s) touched by stored activities from ${t.since} to ${t.until}${t.total > t.oppIds.length ? `; the first ${t.oppIds.length} looked up (narrow the window for the rest)` : ""}`;
      touched = t.total;
    } else read = await lookUpOpportunities(deps, oppIds, mode, call.signal);
    // Every record read is kept whole for questions over everything read; the answer stays compact.
    // Redacted per record first: the text joins strings of several fields, where a secret split
    // across two neighbouring fields would no longer be seen as one.
    const found = redactDeep(read);
    const seen = new Set(found.map((o) => o.id ?? o.oppId));
    const missing = oppIds.filter((id) => !seen.has(id));
    const open = openOnly ? found.filter((o) => !isClosed(o)) : found;
    const score = (o: Opportunity) => o.crmScore?.score ?? (sort === "score_asc" ? Infinity : -Infinity);
    const ordered = sort ? [...open].sort((a, b) => (sort === "score_asc" ? score(a) - score(b) : score(b) - score(a))) : open;
    const wanted = fields?.length ? fields : DEFAULT_FIELDS;
    const columns = ["id", ...wanted];
    const rows = ordered.slice(0, limit).map((o) => [o.id ?? o.oppId ?? null, ...wanted.map((f) => fieldValue(o, f) ?? null)]);
    const unknown = wanted.filter((f) => found.length > 0 && found.every((o) => fieldValue(o, f) === undefined));
    const known = [...new Set(found.flatMap((o) => o.fields.map((f) => f.alias || f.id || "")).filter(Boolean))].slice(0, 20);

    const head = [
      ...(window ? [window] : []),
      `${found.length} of ${oppIds.length} found`,
      ...(openOnly ? [`${found.length - open.length} closed skipped`] : []),
      `showing ${rows.length}${ordered.length > rows.length ? ` (limit ${limit}; more with limit up to 100)` : ""}${sort ? `, by score ${sort === "score_asc" ? "ascending" : "descending"}` : ""}`,
    ].join("; ");
    const notes = [
      ...(window && found.length > rows.length ? [`All ${found.length} are stored: ask clari_query (opportunities, opportunity_fields) for the rest.`] : []),
      ...(missing.length ? [`Not found: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? `, and ${missing.length - 10} more` : ""}.`] : []),
      ...(unknown.length ? [`No field ${unknown.join(", ")}; fields: ${known.join(", ")}.`] : []),
    ];
    return {
      text: [`${head}.`, ...notes, columns.join(" | "), ...rows.map((r) => r.map((c) => (c === null ? "" : String(c))).join(" | "))].join("\n"),
      structured: { found: found.length, ...(touched !== undefined ? { touched } : {}), missing, ...(openOnly ? { closedSkipped: found.length - open.length } : {}), columns, rows },
    };
  },
});
