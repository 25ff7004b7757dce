/**
 * ClariClient: one method per Clari operation (the 15 of the v5 spec plus the synchronous
 * forecast read). It knows paths, parameters and response shapes; http.ts knows transport.
 * It never formats anything for an assistant.
 */
import type { z } from "zod";
import { auditPagePath } from "./audit-page-link.js";
import type { ClariClock } from "./clock.js";
import { ClariApiError, ClariResponseError } from "./errors.js";
import { HttpClient, type HttpClientOptions, type HttpRequest, type StreamResponse } from "./http.js";
import { apiPath } from "./path.js";
import {
  AuditPageResponse,
  CancelResponse,
  ExportJobListResponse,
  ExportJobResponse,
  INGEST_TERMINAL_STATUSES,
  IngestJobResponse,
  JobIdResponse,
  LimitsResponse,
  MessageResponse,
  OpportunitiesResponse,
  PicklistResponse,
  type AuditPage,
  type CancelResult,
  type ExportJob,
  type IngestJob,
  type Limits,
  type Opportunity,
  type PicklistValues,
} from "./schemas.js";

export type ForecastDataType = "forecast" | "quota" | "forecast_updated" | "adjustment" | "crm_total" | "crm_closed";

export interface ForecastExportParams {
  timePeriod?: string | undefined;
  typesToExport?: ForecastDataType[] | undefined;
  scopeId?: string | undefined;
  currency?: string | undefined;
  schedule?: "NONE" | "ONCE" | "MAX" | undefined;
  includeHistorical?: boolean | undefined;
  exportFormat?: "JSON" | "CSV" | undefined;
}

export interface ForecastReadParams {
  timePeriod?: string | undefined;
  typesToExport?: ForecastDataType[] | undefined;
  scopeId?: string | undefined;
  currency?: string | undefined;
}

export interface AuditFilters {
  actorId?: string | number | undefined;
  impersonatingActorId?: string | number | undefined;
  sessionId?: string | undefined;
  sessionType?: "WEB" | "IOS" | "ANDROID" | undefined;
  dateFrom?: string | undefined;
  dateTo?: string | undefined;
  event?: string | undefined;
}

export type ActivityType = "MEETING" | "EMAIL_SENT" | "EMAIL_RECEIVED" | "ATTACHMENT_SENT" | "ATTACHMENT_RECEIVED";

export interface ActivityExportParams {
  activityTypes?: ActivityType[] | undefined;
  startDate?: string | undefined;
  endDate?: string | undefined;
}

export interface IngestOptions {
  mode?: "initial" | "incremental" | undefined;
  isLastBatch?: boolean | undefined;
}

export interface IngestDataset {
  sourceEntity: string;
  records: Array<{ id: string; createdAt: number; updatedAt: number; [field: string]: unknown }>;
}

export interface PicklistUpdate {
  fieldName: string;
  fieldType: "picklist" | "multipicklist";
  values: string[];
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export type ClariClientOptions = HttpClientOptions;

export class ClariClient {
  readonly http: HttpClient;

  constructor(options: ClariClientOptions) {
    this.http = new HttpClient(options);
  }

  get hasPartnerKey(): boolean {
    return this.http.hasPartnerKey;
  }

  /** Clari's clock as learned from its answers' Date headers (a job's startTime is in it). */
  get clock(): ClariClock {
    return this.http.clock;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Loads the HTTP stack ahead of the first call (no request is sent). */
  prepare(): Promise<void> {
    return this.http.prepare();
  }

  private async call<S extends z.ZodType>(schema: S, req: HttpRequest): Promise<z.output<S>> {
    const { data } = await this.http.json(req);
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ClariResponseError(req.operation, 200, `${req.operation} returned an unexpected body${issue ? ` (${issue.path.join(".") || "root"}: ${issue.message})` : ""}.`);
    }
    return parsed.data;
  }

  // ---- Forecast exports and jobs (v4) ----

  /** POST /export/forecast/{forecastId}: queue a forecast export. Spends one unit of monthly quota. */
  async exportForecast(forecastId: string, params: ForecastExportParams = {}, opts: CallOptions = {}): Promise<{ jobId: string }> {
    return this.call(JobIdResponse, {
      operation: "POST /export/forecast/{forecastId}",
      api: "v4",
      method: "POST",
      path: apiPath`/export/forecast/${forecastId}`,
      json: stripUndefined(params),
      signal: opts.signal,
    });
  }

  /** GET /forecast/{forecastId}: the synchronous read of the current week (absent from v5, used in production). */
  async getForecast(forecastId: string, params: ForecastReadParams = {}, opts: CallOptions = {}): Promise<unknown> {
    const { data } = await this.http.json({
      operation: "GET /forecast/{forecastId}",
      api: "v4",
      method: "GET",
      path: apiPath`/forecast/${forecastId}`,
      query: { timePeriod: params.timePeriod, typesToExport: params.typesToExport, scopeId: params.scopeId, currency: params.currency },
      signal: opts.signal,
    });
    return data;
  }

  /** GET /export/jobs/{jobId}: one export job's status. */
  async getExportJob(jobId: string, opts: CallOptions = {}): Promise<ExportJob> {
    return this.call(ExportJobResponse, {
      operation: "GET /export/jobs/{jobId}",
      api: "v4",
      method: "GET",
      path: apiPath`/export/jobs/${jobId}`,
      signal: opts.signal,
    });
  }

  /** PATCH /export/jobs/{jobId} {type: CANCEL}: stop a queued or running export; frees its quota. */
  async cancelExportJob(jobId: string, opts: CallOptions = {}): Promise<CancelResult> {
    return this.call(CancelResponse, {
      operation: "PATCH /export/jobs/{jobId}",
      api: "v4",
      method: "PATCH",
      path: apiPath`/export/jobs/${jobId}`,
      json: { type: "CANCEL" },
      signal: opts.signal,
    });
  }

  /** GET /export/jobs/{jobId}/results: the export file, streamed (only for DONE jobs). */
  async getExportResults(jobId: string, opts: CallOptions = {}): Promise<StreamResponse> {
    return this.http.stream({
      operation: "GET /export/jobs/{jobId}/results",
      api: "v4",
      method: "GET",
      path: apiPath`/export/jobs/${jobId}/results`,
      signal: opts.signal,
    });
  }

  /** GET /export/jobs/{jobId}/results read fully as JSON (small exports: audit, activity). */
  async getExportResultsJson(jobId: string, opts: CallOptions = {}): Promise<unknown> {
    const { data } = await this.http.json({
      operation: "GET /export/jobs/{jobId}/results",
      api: "v4",
      method: "GET",
      path: apiPath`/export/jobs/${jobId}/results`,
      signal: opts.signal,
    });
    return data;
  }

  /** GET /export/jobs: every export job of the token's user. */
  async listExportJobs(opts: CallOptions = {}): Promise<ExportJob[]> {
    return this.call(ExportJobListResponse, {
      operation: "GET /export/jobs",
      api: "v4",
      method: "GET",
      path: "/export/jobs",
      signal: opts.signal,
    });
  }

  /** GET /admin/limits: monthly quota, concurrency and the jobs holding them. */
  async getLimits(opts: CallOptions = {}): Promise<Limits> {
    return this.call(LimitsResponse, { operation: "GET /admin/limits", api: "v4", method: "GET", path: "/admin/limits", signal: opts.signal });
  }

  // ---- Audit, opportunity, activity (v4) ----

  /** POST /export/audit/events: queue an audit export (items + actors). */
  async exportAuditEvents(filters: AuditFilters = {}, opts: CallOptions = {}): Promise<{ jobId: string }> {
    return this.call(JobIdResponse, {
      operation: "POST /export/audit/events",
      api: "v4",
      method: "POST",
      path: "/export/audit/events",
      json: stripUndefined(filters),
      signal: opts.signal,
    });
  }

  /**
   * GET /audit/events: one page. Pass `nextLink` from the previous page to continue; it must point
   * at the configured Clari origin (a forged link never receives the API key) and carry only the
   * operation's own parameters and values (audit-page-link.ts): anything else is refused unsent.
   */
  async listAuditEvents(args: AuditFilters & { limit?: number | undefined; nextLink?: string | undefined } = {}, opts: CallOptions = {}): Promise<AuditPage> {
    const { nextLink, limit, ...filters } = args;
    const base = { operation: "GET /audit/events", api: "v4" as const, method: "GET" as const, signal: opts.signal };
    if (nextLink) return this.call(AuditPageResponse, { ...base, path: auditPagePath(nextLink, this.http.baseUrl("v4")) });
    return this.call(AuditPageResponse, {
      ...base,
      path: "/audit/events",
      query: { limit, ...stripUndefined(filters) } as Record<string, string | number | undefined>,
    });
  }

  /** GET /opportunity?oppId=...: 1 to 100 opportunities with crmScore and field trends. */
  async getOpportunities(oppIds: string[], mode?: string, opts: CallOptions = {}): Promise<Opportunity[]> {
    return this.call(OpportunitiesResponse, {
      operation: "GET /opportunity",
      api: "v4",
      method: "GET",
      path: "/opportunity",
      query: { oppId: oppIds, mode },
      signal: opts.signal,
    });
  }

  /** POST /export/activity: queue an activity export (meetings, emails, attachments). */
  async exportActivity(params: ActivityExportParams = {}, opts: CallOptions = {}): Promise<{ jobId: string }> {
    return this.call(JobIdResponse, {
      operation: "POST /export/activity",
      api: "v4",
      method: "POST",
      path: "/export/activity",
      json: stripUndefined({ ...params, exportFormat: "JSON" }),
      signal: opts.signal,
    });
  }

  // ---- Ingest (v2, partner key) ----

  /** POST /ingest/bulk/entity/{entity}: upload one JSON file (<= 10 MB) as multipart `FileData`. */
  async ingestBulk(entity: string, file: { content: string | Uint8Array; fileName?: string }, options: IngestOptions = {}, opts: CallOptions = {}): Promise<{ jobId: string }> {
    const form = await this.http.formData();
    form.append("FileData", new Blob([file.content], { type: "application/json" }), file.fileName ?? "data.json");
    return this.call(JobIdResponse, {
      operation: "POST /ingest/bulk/entity/{entity}",
      api: "v2",
      method: "POST",
      path: apiPath`/ingest/bulk/entity/${entity}`,
      query: { mode: options.mode, isLastBatch: options.isLastBatch },
      form,
      signal: opts.signal,
    });
  }

  /** POST /ingest/entity/{entity}: upsert at most 100 records synchronously. */
  async ingestRecords(entity: string, datasets: IngestDataset[], options: IngestOptions = {}, opts: CallOptions = {}): Promise<{ status: number; message?: string | undefined }> {
    const { status, data } = await this.http.json({
      operation: "POST /ingest/entity/{entity}",
      api: "v2",
      method: "POST",
      path: apiPath`/ingest/entity/${entity}`,
      query: { mode: options.mode, isLastBatch: options.isLastBatch },
      json: datasets,
      signal: opts.signal,
    });
    return { status, message: MessageResponse.parse(data ?? {}).message };
  }

  /**
   * GET /ingest/job/{jobId}: a bulk ingest job's status (HTTP 202 while it runs). A job that
   * ended in VALIDATION_ERROR (400) or FAILED (500) comes back in the error body: that body is
   * the job's answer, returned like any other status rather than thrown.
   */
  async getIngestJob(jobId: string, opts: CallOptions = {}): Promise<IngestJob> {
    try {
      return await this.call(IngestJobResponse, {
        operation: "GET /ingest/job/{jobId}",
        api: "v2",
        method: "GET",
        path: apiPath`/ingest/job/${jobId}`,
        signal: opts.signal,
      });
    } catch (error) {
      if (error instanceof ClariApiError && error.job && INGEST_TERMINAL_STATUSES.has(error.job.status)) return { ...error.job, jobId: error.job.jobId ?? jobId };
      throw error;
    }
  }

  /** POST /ingest/schema/{entity}/field: add picklist or multipicklist values to a field. */
  async addPicklistValues(entity: string, update: PicklistUpdate, opts: CallOptions = {}): Promise<{ message?: string | undefined }> {
    return this.call(MessageResponse, {
      operation: "POST /ingest/schema/{entity}/field",
      api: "v2",
      method: "POST",
      path: apiPath`/ingest/schema/${entity}/field`,
      json: update,
      signal: opts.signal,
    });
  }

  /** GET /ingest/schema/{entity}/field: picklist values, optionally for some fields only. */
  async getPicklistValues(entity: string, fieldNames?: string[], opts: CallOptions = {}): Promise<PicklistValues> {
    return this.call(PicklistResponse, {
      operation: "GET /ingest/schema/{entity}/field",
      api: "v2",
      method: "GET",
      path: apiPath`/ingest/schema/${entity}/field`,
      query: { fieldNames: fieldNames?.length ? fieldNames.join(",") : undefined },
      signal: opts.signal,
    });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
