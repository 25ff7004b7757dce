/**
 * The v2 ingest API's HTTP handlers for partners: synchronous upload of up to 100 records, bulk
 * upload of one JSON file (max 10 MB) as an asynchronous job, job status, and picklist schema
 * values. Payload validation and error bodies ([{errorCode, errorSummary}]; {error} on the job
 * endpoint) live here; the state is an IngestStore (ingest-store.ts).
 */
import { ingestError, ingestJobError } from "./errors.js";
import { parseJsonBody, toBool } from "./http-util.js";
import type { EntityState, IngestErr, IngestStatus } from "./ingest-store.js";
import { boundaryOf, parseMultipart } from "./multipart.js";
import type { Reply, RequestContext } from "./types.js";

export const MAX_SYNC_RECORDS = 100;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_CONCURRENT_BULK_JOBS = 5;
const MAX_STRING = 255;

function schemaMissing(entity: string): Reply {
  return ingestError(428, [
    "SCHEMA_MISSING",
    `Schema file information of partner is not available for entity : ${entity}, Please contact clari support.`,
  ]);
}

function isValidDate(v: unknown): boolean {
  if (typeof v === "number") return Number.isFinite(v);
  return typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v));
}

const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? String(v)).slice(0, 80);

/** Validate an ingest payload (an array of {sourceEntity, records}). */
function validatePayload(
  payload: unknown,
  entity: EntityState,
  maxRecords: number | null,
): { errors: IngestErr[]; datasets: Array<{ sourceEntity: string; records: Array<Record<string, unknown>> }> } {
  const errors: IngestErr[] = [];
  const bad = (summary: string): void => {
    if (errors.length < 100) errors.push(["INVALID_INPUT_FORMAT", summary]);
  };
  if (!Array.isArray(payload)) {
    bad("Payload is not an array");
    return { errors, datasets: [] };
  }
  const datasets: Array<{ sourceEntity: string; records: Array<Record<string, unknown>> }> = [];
  let total = 0;
  payload.forEach((ds: unknown, i) => {
    const d = (typeof ds === "object" && ds !== null ? ds : {}) as Record<string, unknown>;
    if (typeof d.sourceEntity !== "string" || d.sourceEntity === "") bad(`sourceEntity is missing dataSet ${i}`);
    if (!Array.isArray(d.records)) {
      bad(`records is missing for dataSet ${i}`);
      return;
    }
    total += d.records.length;
    datasets.push({ sourceEntity: String(d.sourceEntity ?? ""), records: d.records as Array<Record<string, unknown>> });
  });
  if (maxRecords !== null && total > maxRecords) {
    bad(`The number of records limit to ${maxRecords}`);
    return { errors, datasets };
  }
  for (const ds of datasets) {
    const seen = new Set<string>();
    for (const raw of ds.records) {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        bad("Failed validation for data at path: / record is not an object");
        continue;
      }
      const rec = raw;
      if (rec.id === undefined || rec.id === null || rec.id === "") bad("Primary key field id is missing");
      else if (typeof rec.id !== "string") bad(`Field id type ${typeof rec.id} does not match expected type string`);
      else if (seen.has(rec.id)) bad(`Duplicate record with value ${rec.id} for primary key field id`);
      else seen.add(rec.id);
      for (const f of ["createdAt", "updatedAt"] as const) {
        if (rec[f] === undefined || rec[f] === null) bad(`Field ${f} is missing`);
        else if (typeof rec[f] !== "number") bad(`Field ${f} type ${typeof rec[f]} does not match expected type number`);
      }
      if (typeof rec.createdAt === "number" && typeof rec.updatedAt === "number" && rec.updatedAt < rec.createdAt) {
        bad("Failed validation for data at path: / updatedAt should be greater than or equal to createdAt");
      }
      for (const [key, value] of Object.entries(rec)) {
        const type = entity.schema.get(key);
        if (!type || value === null) continue;
        switch (type) {
          case "number":
            if (typeof value !== "number") bad(`Failed validation for data at path: /${key} ${show(value)} is not of type 'number'`);
            break;
          case "date":
            if (!isValidDate(value)) bad(`Field ${key} value ${show(value)} is not a valid date`);
            break;
          case "string":
          case "picklist":
            if (typeof value !== "string") bad(`Failed validation for data at path: /${key} ${show(value)} is not of type 'string'`);
            else if (value.length > MAX_STRING) bad(`Field ${key} length exceeds max length of ${MAX_STRING}`);
            break;
          case "multipicklist":
            if (!(typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string")))) {
              bad(`Field ${key} type ${typeof value} does not match expected type multipicklist`);
            }
            break;
        }
      }
    }
  }
  return { errors, datasets };
}

type ModeCheck = { ok: true; mode: "initial" | "incremental" | undefined; isLastBatch: boolean } | { ok: false; reply: Reply };

function checkMode(ctx: RequestContext, entityName: string, entity: EntityState): ModeCheck {
  const rawMode = ctx.query.get("mode");
  let mode: "initial" | "incremental" | undefined;
  if (rawMode !== null && rawMode !== "") {
    const m = rawMode.toLowerCase();
    if (m !== "initial" && m !== "incremental") {
      return {
        ok: false,
        reply: ingestError(400, [
          "INVALID_INPUT_FORMAT",
          "Mode value is invalid. Please try again with a valid mode value, possible values are [initial, increment]",
        ]),
      };
    }
    mode = m;
  }
  const last = toBool(ctx.query.get("isLastBatch") ?? undefined);
  if (last === null) return { ok: false, reply: ingestError(400, ["INVALID_INPUT_FORMAT", "isLastBatch must be true or false"]) };
  if (mode === "initial" && entity.initialDone) {
    return {
      ok: false,
      reply: ingestError(400, [
        "INVALID_INPUT_FORMAT",
        `'Initial' mode is allowed only during initial ingestion of data, please try ingesting it with 'Incremental' mode for ${entityName} entity`,
      ]),
    };
  }
  return { ok: true, mode, isLastBatch: last ?? false };
}

/** POST /ingest/entity/{entity} */
export function ingestRecords(ctx: RequestContext): Reply {
  const store = ctx.state.ingest;
  const name = ctx.params.entity ?? "";
  const entity = store.entities.get(name);
  if (!entity) return schemaMissing(name);
  const mode = checkMode(ctx, name, entity);
  if (!mode.ok) return mode.reply;
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok || parsed.value === undefined) return ingestError(400, ["INVALID_INPUT_FORMAT", "Payload is not an array"]);
  const { errors, datasets } = validatePayload(parsed.value, entity, MAX_SYNC_RECORDS);
  if (errors.length > 0) return ingestError(400, ...errors);
  const n = store.apply(entity, datasets);
  if (mode.mode === "initial" && mode.isLastBatch) entity.initialDone = true;
  return ctx.state.opts.shape === "bare"
    ? { status: 200 }
    : { status: 200, json: { message: "Data is uploaded", recordsReceived: n } };
}

/** POST /ingest/bulk/entity/{entity} (multipart/form-data, one JSON file in FileData) */
export function ingestBulk(ctx: RequestContext): Reply {
  const { ingest: store, opts, faults } = ctx.state;
  const name = ctx.params.entity ?? "";
  const entity = store.entities.get(name);
  if (!entity) return schemaMissing(name);
  const mode = checkMode(ctx, name, entity);
  if (!mode.ok) return mode.reply;
  const contentType = typeof ctx.headers["content-type"] === "string" ? ctx.headers["content-type"] : undefined;
  const boundary = boundaryOf(contentType);
  const parts = boundary ? parseMultipart(ctx.body, boundary) : null;
  if (!parts) {
    return ingestError(400, ["INVALID_INPUT_FORMAT", "Request must be multipart/form-data with one JSON file in the FileData field"]);
  }
  const file = parts.find((p) => p.name === "FileData");
  if (!file) return ingestError(400, ["INVALID_INPUT_FORMAT", "FileData is missing. Please attach one JSON file in the FileData field"]);
  if (file.data.length > MAX_FILE_BYTES) {
    return ingestError(413, ["INVALID_INPUT_FORMAT", "File size exceeds the maximum allowed size of 10 MB"]);
  }
  const badFormat = (): Reply =>
    ingestError(400, ["INVALID_FILE_FORMAT", "Allowed file format is JSON only. Please try again with right format."]);
  if (file.filename !== undefined && file.filename !== "" && !/\.json$/i.test(file.filename)) return badFormat();
  if (file.contentType !== undefined && !/json|octet-stream|text\/plain/i.test(file.contentType)) return badFormat();
  const parsed = parseJsonBody(file.data);
  if (!parsed.ok || parsed.value === undefined) return badFormat();
  if (store.running(ctx.now) >= MAX_CONCURRENT_BULK_JOBS) {
    return ingestError(429, ["TOO_MANY_REQUESTS", "Max concurrent async ingestion jobs limit reached for partner Sandbox Partner"]);
  }
  const { errors, datasets } = validatePayload(parsed.value, entity, null);
  let records = 0;
  if (errors.length === 0) {
    records = store.apply(entity, datasets);
    if (mode.mode === "initial" && mode.isLastBatch) entity.initialDone = true;
  }
  const job = store.addJob({
    entity: name,
    fileName: file.filename || "file.json",
    submittedTime: ctx.now,
    durationMs: opts.jobDurationMs,
    stuck: faults.stuckJobs,
    failed: faults.failJobs !== "none",
    errors,
    records,
  });
  return { status: 202, json: { jobId: job.jobId } };
}

/** GET /ingest/job/{jobId}: 202 while QUEUED/IN_PROGRESS, then 200 (spec mode: 400/500 for failures). */
export function ingestJobStatus(ctx: RequestContext): Reply {
  const { ingest: store, org, opts } = ctx.state;
  const job = store.getJob(ctx.params.jobId ?? "");
  if (!job) return ingestJobError(404, "Bulk ingestion job not found. Please provide correct jobId.");
  const status = store.status(job, ctx.now);
  const spec = opts.shape === "bare";
  const running = status === "QUEUED" || status === "IN_PROGRESS";
  const messages: Record<IngestStatus, unknown> = {
    QUEUED: "Bulk ingestion job is queued",
    IN_PROGRESS: "Bulk ingestion job is in progress",
    SUCCESS: "Ingestion successfully completed.",
    FAILED: "Bulk ingestion job failed. Please retry ingestion.",
    VALIDATION_FAILED: job.errors.map(([errorCode, errorSummary]) => ({ errorCode, errorSummary })),
  };
  const message = {
    jobId: job.jobId,
    orgId: org.orgId,
    userId: Number(org.apiUser.actorId),
    module: "DATA_INGESTION",
    submittedTime: job.submittedTime,
    startTime: status === "QUEUED" ? null : job.submittedTime + Math.round(job.durationMs * 0.2),
    endTime: running ? null : job.submittedTime + job.durationMs,
    title: "Data Ingestion",
    fileName: job.fileName,
    status: spec && status === "VALIDATION_FAILED" ? "VALIDATION_ERROR" : status,
    message: messages[status],
  };
  let http = running ? 202 : 200;
  if (spec && status === "VALIDATION_FAILED") http = 400;
  if (spec && status === "FAILED") http = 500;
  return { status: http, json: { message } };
}

/** POST /ingest/schema/{entity}/field {fieldName, fieldType, values} */
export function addPicklistValues(ctx: RequestContext): Reply {
  const name = ctx.params.entity ?? "";
  const entity = ctx.state.ingest.entities.get(name);
  if (!entity) return schemaMissing(name);
  const parsed = parseJsonBody(ctx.body);
  const body = parsed.ok && typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)
    ? (parsed.value as Record<string, unknown>)
    : null;
  const bad = (s: string): Reply => ingestError(400, ["INVALID_INPUT_FORMAT", s]);
  if (!body) return bad("One or more error in validating field details. fieldName cannot be empty or null");
  const { fieldName, fieldType, values } = body;
  if (typeof fieldName !== "string" || fieldName === "") return bad("One or more error in validating field details. fieldName cannot be empty or null");
  if (typeof fieldType !== "string" || fieldType === "") return bad("One or more error in validating field details. fieldType cannot be empty or null");
  const type = fieldType.toLowerCase();
  if (type !== "picklist" && type !== "multipicklist") return bad("FieldType is not supported. Supported FieldTypes are [picklist, multipicklist]");
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === "string" && v !== "")) {
    return bad("One or more error in validating field details. Please provide picklist options.");
  }
  const declared = entity.schema.get(fieldName);
  if (!declared) return bad(`Oops! ${fieldName} is not defined in schema.`);
  if (declared !== type) return bad(`Field ${fieldName} type ${type} does not match expected type ${declared}`);
  const list = entity.picklists.get(fieldName) ?? [];
  for (const v of values as string[]) if (!list.includes(v)) list.push(v);
  entity.picklists.set(fieldName, list);
  return { status: 200, json: { message: "picklist options have been updated successfully." } };
}

/** GET /ingest/schema/{entity}/field[?fieldNames=a,b] */
export function getPicklistValues(ctx: RequestContext): Reply {
  const name = ctx.params.entity ?? "";
  const entity = ctx.state.ingest.entities.get(name);
  if (!entity) return schemaMissing(name);
  const wanted = ctx.query
    .getAll("fieldNames")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const out: Record<string, string[]> = {};
  for (const [field, values] of entity.picklists) {
    if (wanted.length === 0 || wanted.includes(field)) out[field] = [...values];
  }
  return { status: 200, json: out };
}
