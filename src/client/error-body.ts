/**
 * Turns a Clari error response into one ClariApiError, whatever family its body belongs to:
 * export `{code, message, errorId}`, audit `{errors:[...]}`, opportunity
 * `[{statusCode, reaspnPhrase, description, details}]` or one such object (as the spec describes
 * it), ingest `[{errorCode, errorSummary}]`, an ingest job `{message: {jobId, status, message}}`
 * (GET /ingest/job answers 400 and 500 with the job itself), and the gateway's `{message}` /
 * `{error}` for bad credentials. It classifies and explains in Clari's terms; the tools layer
 * words the advice for an assistant (src/tools/kit/describe-error.ts).
 */
import { redactFields } from "../security/redact-deep.js";
import { ClariApiError, type ErrorFamily } from "./errors.js";
import { IngestJobResponse, type IngestJob } from "./schemas.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

interface Parsed {
  code: string;
  message: string;
  errorId?: string | undefined;
  family: ErrorFamily;
  job?: IngestJob | undefined;
}

/** `{message: {status, ...}}` (the spec) or a bare `{jobId, status, ...}`: an ingest job, not an error object. */
function isIngestJobBody(body: Json): boolean {
  return (isObject(body.message) && str(body.message.status) !== undefined) || (str(body.jobId) !== undefined && str(body.status) !== undefined);
}

function isOpportunityError(item: Json): boolean {
  return "statusCode" in item || "reaspnPhrase" in item || "description" in item;
}

function parseIngestJob(body: Json): Parsed | undefined {
  const parsed = IngestJobResponse.safeParse(body);
  if (!parsed.success) return undefined;
  const job = parsed.data;
  const about = job.jobId ? `ingest job ${job.jobId} is ${job.status}` : `ingest job is ${job.status}`;
  return { family: "ingest", code: job.status, message: job.reason ? `${about}: ${job.reason}` : about, job };
}

function parseOpportunity(items: Json[]): Parsed {
  const first = items[0]!;
  return {
    family: "opportunity",
    code: str(first.reaspnPhrase)?.toLowerCase().replace(/\s+/g, "_") ?? `http_${String(first.statusCode ?? "error")}`,
    message: items.map((e) => [str(e.description), str(e.details)].filter(Boolean).join(": ")).join("; "),
  };
}

function parseBody(body: unknown): Parsed | undefined {
  if (isObject(body)) {
    if (Array.isArray(body.errors) && isObject(body.errors[0])) {
      const first = body.errors[0];
      const messages = body.errors.filter(isObject).map((e) => [str(e.message), str(e.details)].filter(Boolean).join(": "));
      return { family: "audit", code: str(first.code) ?? `http_${str(first.status) ?? "error"}`, message: messages.join("; ") };
    }
    if (str(body.code) || str(body.errorId)) {
      return { family: "export", code: str(body.code) ?? "error", message: str(body.message) ?? "", errorId: str(body.errorId) };
    }
    if (isIngestJobBody(body)) return parseIngestJob(body);
    if (isOpportunityError(body)) return parseOpportunity([body]);
    const single = str(body.error) ?? str(body.message);
    if (single) return { family: "auth", code: str(body.errorCode) ?? "error", message: single };
    return undefined;
  }
  if (Array.isArray(body) && isObject(body[0])) {
    const items = body.filter(isObject);
    const first = body[0];
    if (str(first.errorCode)) {
      return {
        family: "ingest",
        code: str(first.errorCode)!,
        message: items.map((e) => str(e.errorSummary) ?? str(e.description) ?? "").filter(Boolean).join("; "),
      };
    }
    if (isOpportunityError(first)) return parseOpportunity(items);
  }
  return undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  403: "forbidden",
  404: "not found",
  413: "payload too large",
  429: "too many requests",
  500: "internal server error",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** What the caller can do about each known failure, in Clari's terms (no tool names: see src/tools/kit/describe-error.ts). */
function hintFor(status: number, code: string, message: string): string | undefined {
  switch (code) {
    case "export_monthly_quota_reached":
      return "Clari refused to queue the export: the monthly quota or the concurrent-job limit is used up. Check the limits (GET /admin/limits) for what remains and which jobs hold the slots; cancel an unneeded running job or wait for one to finish.";
    case "no_such_forecast_config":
      return "The forecastId is not a Forecast Tab of this org. Take it from the Forecast Tab's URL in Clari (e.g. net_bookings).";
    case "type_not_supported":
      return "crm_total and crm_closed cannot be exported; read CRM totals synchronously (GET /forecast/{forecastId}).";
    case "no_optin":
      return "The API token's user is not opted in to this forecast or scope. Use a scopeId the user can see, or ask a Clari admin to opt the user in.";
    case "invalid_jobId":
      return "Results exist only for jobs whose status is DONE and not yet expired. Check the job's status; an expired export must be queued again.";
    case "export_failed_to_cancel":
      return "The job already finished, so there is nothing to cancel; its results can be read.";
    case "INVALID_PARTNER_KEY":
      return "The partner key was refused. Set CLARI_PARTNER_KEY to the key Clari issued to your integration.";
    case "SCHEMA_MISSING":
      return "The partner schema for this entity is not defined in Clari; ask Clari to configure the integration schema first.";
    case "TOO_MANY_REQUESTS":
      return "Clari's ingest rate or concurrent-job limit was reached; wait and retry.";
  }
  if (status === 401) return "Clari rejected the API key. Check CLARI_API_KEY (Clari > Settings > API Token); a revoked or deactivated user's token stops working.";
  if (status === 403) return "The API token's user may not see this resource.";
  if (status === 404) return /job/i.test(message) ? "No such job for this token." : undefined;
  if (status === 429) return "Clari's rate limit was reached; wait a few seconds and retry.";
  if (status >= 500) return "Clari had a server-side problem; retry later.";
  return undefined;
}

export function errorFromResponse(args: {
  status: number;
  bodyText: string;
  operation: string;
  retryAfterMs?: number | undefined;
}): ClariApiError {
  let body: unknown;
  try {
    // An echoed secret may be split across the fields this message joins (message and details).
    body = args.bodyText ? redactFields(JSON.parse(args.bodyText) as unknown) : undefined;
  } catch {
    body = undefined;
  }
  const parsed = parseBody(body);
  const statusText = STATUS_TEXT[args.status] ?? "error";
  const code = parsed?.code ?? (args.status === 401 ? "unauthorized" : `http_${args.status}`);
  const detail = parsed?.message || statusText;
  return new ClariApiError({
    status: args.status,
    code,
    family: parsed?.family ?? "unknown",
    errorId: parsed?.errorId,
    job: parsed?.job,
    message: `${args.operation} failed with HTTP ${args.status} (${code}): ${detail}`,
    hint: hintFor(args.status, code, detail),
    retryAfterMs: args.retryAfterMs,
    operation: args.operation,
  });
}
