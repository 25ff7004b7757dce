/**
 * The export family: queue a forecast export, the synchronous forecast read, job status / cancel /
 * results / list, and /admin/limits. Error bodies are {code, namespace, errorId, message, orgId}.
 */
import { compactDateTime } from "./calendar.js";
import { exportError } from "./errors.js";
import { DATA_TYPES, type ForecastSelection } from "./forecast-data.js";
import { type Currency, findCurrency, toCsv, toFlatArray, toTables } from "./forecast-results.js";
import { isPlainObject, parseJsonBody, queryList, toBool } from "./http-util.js";
import type { JobSpec } from "./jobs.js";
import type { Reply, RequestContext } from "./types.js";

export type ResultShape = "tables" | "flat" | "csv";

const CRM_TYPES = ["crm_total", "crm_closed"];
const SCHEDULES = ["NONE", "ONCE", "MAX"];

interface ForecastRequest {
  forecastId: string;
  timePeriod: string | undefined;
  typesToExport: string[];
  scopeId: string | undefined;
  currency: Currency;
  includeHistorical: boolean;
  exportFormat: "JSON" | "CSV";
  shape: ResultShape;
}

type Parsed = { ok: true; req: ForecastRequest } | { ok: false; reply: Reply };

function malformed(ctx: RequestContext, text: string): Reply {
  const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  return exportError(ctx.state, 400, "bad_request", `The request body was malformed: ${shown}`, "fcw");
}

/** Parameters come from the query string and/or the JSON body (the body wins). */
function parseForecastRequest(ctx: RequestContext, mode: "export" | "sync"): Parsed {
  const state = ctx.state;
  const forecastId = ctx.params.forecastId ?? "";
  if (forecastId === "") {
    return { ok: false, reply: exportError(state, 400, "missing_forecast_id", "The forecastId query parameter is required.", "fcw") };
  }
  if (!state.org.forecast.hasTab(forecastId)) {
    return {
      ok: false,
      reply: exportError(state, 400, "no_such_forecast_config", `Forecast ${forecastId} does not exist in the ForecastTemplate.`, "fcw"),
    };
  }

  const q = ctx.query;
  const raw: Record<string, unknown> = {};
  for (const k of ["timePeriod", "scopeId", "currency", "schedule", "includeHistorical", "exportFormat", "resultShape"]) {
    const v = q.get(k);
    if (v !== null) raw[k] = v;
  }
  const qTypes = queryList(q, "typesToExport");
  if (qTypes !== undefined) raw.typesToExport = qTypes;

  if (mode === "export") {
    const parsed = parseJsonBody(ctx.body);
    if (!parsed.ok) return { ok: false, reply: malformed(ctx, parsed.text) };
    if (parsed.value !== undefined) {
      if (!isPlainObject(parsed.value)) return { ok: false, reply: malformed(ctx, ctx.body.toString("utf8")) };
      for (const [k, v] of Object.entries(parsed.value)) if (v !== null) raw[k] = v;
    }
  }
  const bad = (): Parsed => ({ ok: false, reply: malformed(ctx, mode === "export" ? ctx.body.toString("utf8") : ctx.url.search) });

  // typesToExport: a list (or one comma separated string).
  let types: string[] = [];
  const rt = raw.typesToExport;
  if (rt !== undefined) {
    if (typeof rt === "string") types = rt.split(",").map((s) => s.trim()).filter((s) => s !== "");
    else if (Array.isArray(rt) && rt.every((t) => typeof t === "string")) types = (rt as string[]).map((s) => s.trim());
    else return bad();
  }
  const invalid = types.filter((t) => !(DATA_TYPES as readonly string[]).includes(t));
  if (invalid.length > 0) {
    return {
      ok: false,
      reply: exportError(
        state,
        400,
        "bad_request",
        `The following typesToExport values are invalid: [${invalid.map((t) => JSON.stringify(t)).join(", ")}]`,
        "fcw",
      ),
    };
  }
  if (mode === "export" && types.some((t) => CRM_TYPES.includes(t))) {
    return {
      ok: false,
      reply: exportError(
        state,
        400,
        "type_not_supported",
        "CRM Totals and CRM Closed are not supported typeToExport values for Export API. Please see Forecast API documentation if you’d like to retrieve CRM Totals or CRM Closed values.",
        "fcw",
      ),
    };
  }
  if (types.length === 0) types = ["forecast", "forecast_updated"];

  if (raw.timePeriod !== undefined && typeof raw.timePeriod !== "string" && typeof raw.timePeriod !== "number") return bad();
  if (raw.scopeId !== undefined && typeof raw.scopeId !== "string") return bad();
  if (raw.currency !== undefined && typeof raw.currency !== "string") return bad();
  const currency = findCurrency(raw.currency as string | undefined);
  if (!currency) return { ok: false, reply: exportError(state, 400, "bad_request", "The currency parameter is invalid.", "fcw") };

  if (raw.schedule !== undefined && (typeof raw.schedule !== "string" || !SCHEDULES.includes(raw.schedule.toUpperCase()))) return bad();
  const includeHistorical = toBool(raw.includeHistorical);
  if (includeHistorical === null) return bad();

  let exportFormat: "JSON" | "CSV" = "JSON";
  if (raw.exportFormat !== undefined) {
    if (typeof raw.exportFormat !== "string" || !["JSON", "CSV"].includes(raw.exportFormat.toUpperCase())) return bad();
    exportFormat = raw.exportFormat.toUpperCase() as "JSON" | "CSV";
  }
  let shape: ResultShape = exportFormat === "CSV" ? "csv" : state.opts.shape === "bare" ? "flat" : "tables";
  if (raw.resultShape !== undefined) {
    if (typeof raw.resultShape !== "string" || !["tables", "flat", "csv"].includes(raw.resultShape)) return bad();
    shape = raw.resultShape as ResultShape;
  }

  const scopeId = raw.scopeId as string | undefined;
  if (scopeId !== undefined && scopeId !== "" && !state.org.users.some((u) => u.scopeId === scopeId)) {
    return {
      ok: false,
      reply: exportError(state, 401, "no_optin", `No optins for scope ${scopeId} for forecast '${forecastId}'.`, "fcw"),
    };
  }

  return {
    ok: true,
    req: {
      forecastId,
      timePeriod: raw.timePeriod === undefined ? undefined : String(raw.timePeriod),
      typesToExport: types,
      scopeId: scopeId === "" ? undefined : scopeId,
      currency,
      includeHistorical: includeHistorical ?? false,
      exportFormat,
      shape,
    },
  };
}

/** Spend quota and queue a job, or answer export_monthly_quota_reached. */
export function queueExport(ctx: RequestContext, spec: JobSpec, successStatus: number): Reply {
  const { jobs, opts, faults } = ctx.state;
  if (jobs.admission(ctx.now) !== "ok") {
    return exportError(
      ctx.state,
      400,
      "export_monthly_quota_reached",
      `The monthly quota limit of ${opts.monthlyQuota} or concurrent limit of ${opts.concurrentLimit} has been reached.`,
      "exports",
      { source: "Export" },
    );
  }
  const job = jobs.create(spec, ctx.now, {
    durationMs: opts.jobDurationMs,
    stuck: faults.stuckJobs,
    outcome: faults.failJobs === "none" ? "DONE" : faults.failJobs,
  });
  return { status: successStatus, json: { jobId: job.jobId } };
}

function render(ctx: RequestContext, sel: ForecastSelection, req: ForecastRequest): { body: string; contentType: string } {
  const seed = ctx.state.opts.seed;
  switch (req.shape) {
    case "csv":
      return { contentType: "text/csv; charset=utf-8", body: toCsv(seed, req.forecastId, sel, req.currency) };
    case "flat":
      return { contentType: "application/json", body: JSON.stringify(toFlatArray(seed, req.forecastId, sel, req.currency)) };
    case "tables":
      return { contentType: "application/json", body: JSON.stringify(toTables(seed, req.forecastId, sel, req.currency)) };
  }
}

/** POST /export/forecast/{forecastId} */
export function exportForecast(ctx: RequestContext): Reply {
  const parsed = parseForecastRequest(ctx, "export");
  if (!parsed.ok) return parsed.reply;
  const req = parsed.req;
  const org = ctx.state.org;
  const asOf = ctx.now;
  const period = org.resolveTimePeriod(req.timePeriod, asOf);
  const csv = req.shape === "csv";
  return queueExport(
    ctx,
    {
      module: "FORECAST",
      title: org.forecast.tab(req.forecastId)?.title ?? "Forecast Export",
      fileName: `clari_export_forecast_${req.forecastId}_${period.timePeriodId}_${compactDateTime(asOf)}.${csv ? "csv" : "json"}`,
      fileType: csv ? "CSV" : "JSON",
      currency: req.currency.code,
      produce: () =>
        render(
          ctx,
          org.forecast.select(req.forecastId, req.timePeriod, {
            includeHistorical: req.includeHistorical,
            typesToExport: req.typesToExport,
            scopeId: req.scopeId,
            asOf,
          }),
          req,
        ),
    },
    200,
  );
}

/** GET /forecast/{forecastId}?timePeriod= : the current (latest) week, JSON tables, crm types allowed. */
export function readForecast(ctx: RequestContext): Reply {
  const parsed = parseForecastRequest(ctx, "sync");
  if (!parsed.ok) return parsed.reply;
  const req = parsed.req;
  const sel = ctx.state.org.forecast.select(req.forecastId, req.timePeriod, {
    includeHistorical: false,
    typesToExport: req.typesToExport,
    scopeId: req.scopeId,
    asOf: ctx.now,
  });
  return { status: 200, json: toTables(ctx.state.opts.seed, req.forecastId, sel, req.currency) };
}

function jobNotFound(ctx: RequestContext): Reply {
  return exportError(ctx.state, 404, "job_not_found", `Job ${ctx.params.jobId ?? ""} was not found.`);
}

function jobView(ctx: RequestContext, jobId: string): Record<string, unknown> | undefined {
  const { jobs, org } = ctx.state;
  const job = jobs.get(jobId);
  return job ? jobs.view(job, ctx.now, Number(org.apiUser.actorId), org.orgId) : undefined;
}

/** GET /export/jobs/{jobId} */
export function getJob(ctx: RequestContext): Reply {
  const view = jobView(ctx, ctx.params.jobId ?? "");
  if (!view) return jobNotFound(ctx);
  return { status: 200, json: ctx.state.opts.shape === "bare" ? view : { job: view } };
}

/** GET /export/jobs */
export function listJobs(ctx: RequestContext): Reply {
  const { jobs, org } = ctx.state;
  const views = jobs.list().map((j) => jobs.view(j, ctx.now, Number(org.apiUser.actorId), org.orgId));
  return { status: 200, json: ctx.state.opts.shape === "bare" ? views : { jobs: views } };
}

/** PATCH /export/jobs/{jobId} with {"type":"CANCEL"} */
export function patchJob(ctx: RequestContext): Reply {
  const parsed = parseJsonBody(ctx.body);
  const valid = parsed.ok && isPlainObject(parsed.value) && parsed.value.type === "CANCEL";
  if (!valid) {
    const text = ctx.body.toString("utf8");
    return exportError(ctx.state, 400, "bad_request", `The request body was malformed: ${text.slice(0, 200)}`);
  }
  const { jobs } = ctx.state;
  const job = jobs.get(ctx.params.jobId ?? "");
  if (!job) return jobNotFound(ctx);
  if (!jobs.cancel(job, ctx.now)) {
    return exportError(ctx.state, 400, "export_failed_to_cancel", "Cannot cancel the job because it already finished executing.");
  }
  return { status: 200, json: { status: "CANCELLED", successful: true } };
}

/** GET /export/jobs/{jobId}/results */
export function jobResults(ctx: RequestContext): Reply {
  const { jobs } = ctx.state;
  const job = jobs.get(ctx.params.jobId ?? "");
  if (!job) return jobNotFound(ctx);
  const status = jobs.status(job, ctx.now);
  const invalid = (message: string): Reply => exportError(ctx.state, 400, "invalid_jobId", message);
  if (status === "SCHEDULED" || status === "STARTED") {
    return invalid("Cannot retrieve data for job because it has not finished executing.");
  }
  if (status !== "DONE") return invalid(`Cannot retrieve data for job because it ended with status ${status}.`);
  if (jobs.isExpired(job, ctx.now)) return invalid("Cannot retrieve data for job because it has expired.");
  const content = jobs.download(job);
  return {
    status: 200,
    text: content.body,
    contentType: content.contentType,
    headers: { "content-disposition": `attachment; filename="${job.fileName}"` },
  };
}

/** GET /admin/limits */
export function adminLimits(ctx: RequestContext): Reply {
  const limits: Record<string, unknown> = { ...ctx.state.jobs.limits(ctx.now) };
  // The spec: runningJobIds is absent when nothing is running; the real API sends [].
  if (ctx.state.opts.shape === "bare" && (limits.runningJobIds as string[]).length === 0) delete limits.runningJobIds;
  return { status: 200, json: { jobs: limits } };
}
