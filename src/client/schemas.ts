/**
 * Lenient zod schemas for Clari's responses. Real Clari and its spec disagree (wrapped vs bare
 * objects, `id` vs `jobId`, numbers as strings): these accept every shape seen, keep unknown
 * fields, and produce one domain type per response.
 */
import { z } from "zod";
import { redactSecrets } from "../security/redact.js";
import { JOB_ID } from "./ids.js";

/** Numbers that may arrive as strings (the spec's own examples carry "123,"). */
const num = z.preprocess((v) => {
  if (typeof v === "string") {
    const n = Number(v.trim().replace(/,$/, ""));
    return Number.isFinite(n) ? n : undefined;
  }
  return v;
}, z.number().optional()).catch(undefined);

const text = z.preprocess((v) => (typeof v === "string" ? v.trim().replace(/,$/, "") : typeof v === "number" ? String(v) : v), z.string().optional()).catch(undefined);

const bool = z.preprocess((v) => {
  if (typeof v === "string") return /^true,?$/i.test(v.trim()) ? true : /^false,?$/i.test(v.trim()) ? false : undefined;
  return v;
}, z.boolean().optional()).catch(undefined);

export const EXPORT_TERMINAL_STATUSES: ReadonlySet<string> = new Set(["DONE", "FAILED", "CANCELLED", "ABORTED"]);
export const INGEST_TERMINAL_STATUSES: ReadonlySet<string> = new Set(["SUCCESS", "FAILED", "VALIDATION_FAILED", "VALIDATION_ERROR"]);

const status = z.preprocess((v) => (typeof v === "string" ? v.trim().replace(/,$/, "").toUpperCase() : v), z.string()).catch("UNKNOWN");

const rawJob = z.looseObject({
  jobId: text,
  id: text,
  userId: text,
  orgId: text,
  title: text,
  module: text,
  startTime: num,
  endTime: num,
  expiredTime: num,
  version: num,
  fileName: text,
  fileType: text,
  status,
  viewed: bool,
  cellsTruncated: bool,
  rowsTruncated: bool,
  downloads: num,
  currency: text,
});

export interface ExportJob {
  jobId: string;
  status: string;
  title?: string | undefined;
  module?: string | undefined;
  userId?: string | undefined;
  orgId?: string | undefined;
  startTime?: number | undefined;
  endTime?: number | undefined;
  expiredTime?: number | undefined;
  version?: number | undefined;
  fileName?: string | undefined;
  fileType?: string | undefined;
  viewed?: boolean | undefined;
  cellsTruncated?: boolean | undefined;
  rowsTruncated?: boolean | undefined;
  downloads?: number | undefined;
  currency?: string | undefined;
  [extra: string]: unknown;
}

function toJob(raw: z.infer<typeof rawJob>): ExportJob {
  const { id, jobId, ...rest } = raw;
  // A job id that holds a key is shown redacted (and, no longer a jobId's shape, is refused wherever one is used).
  return { ...rest, jobId: redactSecrets(jobId ?? id ?? "") };
}

/** `{job: {...}}` (real Clari) or a bare job object (the spec). */
export const ExportJobResponse = z
  .union([z.looseObject({ job: rawJob }), rawJob])
  .transform((value) => toJob("job" in value && typeof value.job === "object" ? (value.job as z.infer<typeof rawJob>) : (value as z.infer<typeof rawJob>)));

/** `{jobs: [...]}` (real Clari) or a bare array (the spec). */
export const ExportJobListResponse = z
  .union([z.looseObject({ jobs: z.array(rawJob) }), z.array(rawJob)])
  .transform((value) => (Array.isArray(value) ? value : value.jobs).map(toJob));

export const JobIdResponse = z
  .looseObject({ jobId: text, id: text })
  .transform((v, ctx) => {
    const jobId = v.jobId ?? v.id;
    // A job id becomes a path segment and a file name: accept only what Clari issues.
    if (!jobId || !JOB_ID.test(jobId)) {
      ctx.addIssue({ code: "custom", message: jobId ? "response has a malformed jobId" : "response has no jobId" });
      return z.NEVER;
    }
    // It is also shown in answers, links and logs, and names a stored file: never one that holds a key.
    if (redactSecrets(jobId) !== jobId) {
      ctx.addIssue({ code: "custom", message: "response has a jobId that holds a configured key or token" });
      return z.NEVER;
    }
    return { jobId };
  });

export const CancelResponse = z.looseObject({ status, successful: bool });
export type CancelResult = z.infer<typeof CancelResponse>;

const limitsBody = z.looseObject({
  concurrentLimit: num,
  monthlyQuota: num,
  runningJobIds: z.array(z.string()).catch([]).default([]),
  submittedJobIds: z.array(z.string()).catch([]).default([]),
  availableConcurrentLimit: num,
  availableMonthlyQuota: num,
});
export const LimitsResponse = z
  .union([z.looseObject({ jobs: limitsBody }), limitsBody])
  .transform((v) => ("jobs" in v && v.jobs && typeof v.jobs === "object" && !Array.isArray(v.jobs) ? (v.jobs as z.infer<typeof limitsBody>) : (v as z.infer<typeof limitsBody>)));
export type Limits = z.infer<typeof limitsBody>;

const auditItem = z.looseObject({
  actorId: text,
  impersonatingActorId: text,
  actorType: text,
  sessionId: text,
  sessionType: text,
  event: text,
  eventParameters: z.unknown().optional(),
  eventTimestamp: z.union([z.string(), z.number()]).optional().catch(undefined),
  ipAddress: text,
  correlationID: text,
});
const actor = z.looseObject({ actorId: text, actorType: text, name: text, email: text });
export const AuditPageResponse = z.looseObject({
  nextLink: z.string().nullish().catch(undefined),
  items: z.array(auditItem).catch([]).default([]),
  actors: z.array(actor).catch([]).default([]),
});
export type AuditPage = z.infer<typeof AuditPageResponse>;
export type AuditEvent = z.infer<typeof auditItem>;

const opportunityField = z.looseObject({
  id: text,
  alias: text,
  value: z.unknown().optional(),
  trend: text,
  trendHistory: z.array(z.looseObject({ oldValue: z.unknown().optional(), newValue: z.unknown().optional(), date: num })).catch([]).optional(),
});
const opportunity = z.looseObject({
  id: text,
  oppId: text,
  crmScore: z.looseObject({ score: num, message: text }).optional().catch(undefined),
  fields: z.array(opportunityField).catch([]).default([]),
});
export const OpportunitiesResponse = z
  .union([z.array(opportunity), z.looseObject({ opportunities: z.array(opportunity) })])
  .transform((v) => (Array.isArray(v) ? v : v.opportunities));
export type Opportunity = z.infer<typeof opportunity>;

/** Most validation errors an ingest reason lists; the rest are counted. */
const MAX_REASON_ITEMS = 20;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/**
 * An ingest job's `message` as one readable line. The spec sends a string for a finished or
 * failed job and `[{errorCode, errorSummary}]` for a VALIDATION_ERROR; each error reads
 * "errorCode: errorSummary", repeats once, joined by "; ".
 */
export function ingestReason(message: unknown): string | undefined {
  const items = Array.isArray(message) ? message : [message];
  const lines = [
    ...new Set(
      items
        .map((item) => (isRecord(item) ? [nonEmpty(item.errorCode), nonEmpty(item.errorSummary) ?? nonEmpty(item.message) ?? nonEmpty(item.description)].filter(Boolean).join(": ") : nonEmpty(item)))
        .filter((line): line is string => !!line),
    ),
  ];
  if (!lines.length) return undefined;
  const more = lines.length - MAX_REASON_ITEMS;
  return lines.slice(0, MAX_REASON_ITEMS).join("; ") + (more > 0 ? `; and ${more} more` : "");
}

const ingestJob = z.looseObject({
  jobId: text,
  status,
  /** As Clari sent it: a string, or a list of validation errors. */
  message: z.unknown().optional(),
  module: text,
  title: text,
  submittedTime: num,
  startTime: num,
  endTime: num,
});
export type IngestJob = z.infer<typeof ingestJob> & {
  /** `message` as one readable string, whatever its shape (see ingestReason). */
  reason: string | undefined;
};

/** `{message: {...job}}` (the spec) or a bare job. */
export const IngestJobResponse = z
  .union([z.looseObject({ message: ingestJob }), ingestJob])
  .transform((v): IngestJob => {
    const job = "message" in v && isRecord(v.message) ? (v.message as z.infer<typeof ingestJob>) : (v as z.infer<typeof ingestJob>);
    return { ...job, reason: ingestReason(job.message) };
  });

export const MessageResponse = z.looseObject({ message: text }).catch({ message: undefined });

/** Field name -> picklist values. */
export const PicklistResponse = z.record(z.string(), z.array(z.string()).catch([]));
export type PicklistValues = z.infer<typeof PicklistResponse>;
