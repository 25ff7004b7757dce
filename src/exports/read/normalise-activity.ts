/**
 * Activity export records (`{activities: [...]}`) as flat rows: one per meeting, email or
 * attachment, with account and opportunity names and participant counts.
 */

import { z } from "zod";
import { isRecord, parseJsonInput, text } from "./json-input.js";
import { toIsoTimestamp } from "./values.js";

export const ActivityRowSchema = z.object({
  activityId: z.string(),
  activityType: z.string().describe("MEETING, EMAIL_SENT, EMAIL_RECEIVED, ATTACHMENT_SENT or ATTACHMENT_RECEIVED"),
  subject: z.string(),
  date: z.string().nullable().describe("ISO date-time"),
  owner: z.string().describe("CRM id of the user whose inbox or calendar it came from"),
  organiser: z.string().describe("CRM id of the user who organised or sent it"),
  accounts: z.array(z.string()).describe("Account names (ids when unnamed)"),
  accountIds: z.array(z.string()),
  opportunities: z.array(z.string()).describe("Opportunity names (ids when unnamed)"),
  opportunityIds: z.array(z.string()),
  participants: z.number().int(),
  internalParticipants: z.number().int(),
  externalParticipants: z.number().int(),
});
export type ActivityRow = z.infer<typeof ActivityRowSchema>;

function names(list: unknown, idKey: string, nameKey: string): { names: string[]; ids: string[] } {
  const out = { names: [] as string[], ids: [] as string[] };
  if (!Array.isArray(list)) return out;
  for (const x of list) {
    if (!isRecord(x)) continue;
    const id = text(x[idKey]);
    const name = text(x[nameKey]);
    out.ids.push(id);
    out.names.push(name || id);
  }
  return out;
}

/** One participant of an activity, as the query tables carry them. */
export interface ActivityParticipant {
  activityId: string;
  name: string;
  email: string;
  isInternal: boolean | null;
}

function activityList(input: unknown): unknown[] {
  const json = parseJsonInput(input);
  return Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.activities) ? json.activities : [];
}

/** Every participant of every activity record (same inputs as {@link normaliseActivities}). */
export function normaliseActivityParticipants(input: unknown): ActivityParticipant[] {
  const out: ActivityParticipant[] = [];
  for (const a of activityList(input)) {
    if (!isRecord(a) || !Array.isArray(a.participants)) continue;
    const activityId = text(a.activityId);
    for (const p of a.participants.filter(isRecord)) {
      const internal = p.isInternal === true || p.isInternal === "true" ? true : p.isInternal === false || p.isInternal === "false" ? false : null;
      out.push({ activityId, name: text(p.name), email: text(p.email), isInternal: internal });
    }
  }
  return out;
}

/**
 * Normalises activity records. Accepts `{activities: [...]}` or a bare array, as parsed JSON or
 * as JSON text; `date` may be epoch milliseconds (number or string) or ISO.
 */
export function normaliseActivities(input: unknown): ActivityRow[] {
  const rows: ActivityRow[] = [];
  for (const a of activityList(input)) {
    if (!isRecord(a)) continue;
    const accounts = names(a.accounts, "accountId", "accountName");
    const opportunities = names(a.opportunities, "opportunityId", "opportunityName");
    const participants = Array.isArray(a.participants) ? a.participants.filter(isRecord) : [];
    const internal = participants.filter((p) => p.isInternal === true || p.isInternal === "true").length;
    rows.push({
      activityId: text(a.activityId),
      activityType: text(a.activityType),
      subject: text(a.subject),
      date: toIsoTimestamp(a.date),
      owner: text(a.activityOwnerId),
      organiser: text(a.activityOrganiserId),
      accounts: accounts.names,
      accountIds: accounts.ids,
      opportunities: opportunities.names,
      opportunityIds: opportunities.ids,
      participants: participants.length,
      internalParticipants: internal,
      externalParticipants: participants.length - internal,
    });
  }
  return rows;
}
