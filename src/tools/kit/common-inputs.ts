/**
 * Input pieces shared by several tools. Ids are restricted to the characters Clari uses, so a
 * malformed id is refused before any request is made (path encoding guards again below).
 */
import { z } from "zod";
import { FORECAST_ID, JOB_ID } from "../../client/ids.js";
import { listedPlain } from "./listing.js";

/** A jobId of Clari's, copied from an earlier answer (listed plainly: see listing.ts). */
export const jobIdString = z.string().regex(JOB_ID, "a jobId is letters, digits, '-' or '_' (Clari's are 24 hex characters)");
export const jobIdInput = listedPlain(jobIdString.describe("From an export tool or clari_list_export_jobs"));

export const forecastIdInput = listedPlain(
  z
    .string()
    .regex(FORECAST_ID, "a forecastId is letters, digits, '_', '-' or '.', as in the Forecast Tab's URL")
    .describe("Forecast Tab id from its URL, e.g. net_bookings"),
);

export const timePeriodInput = z
  .string()
  .regex(/^\d{4}_Q[1-4]$/, "timePeriod is YYYY_QN, e.g. 2026_Q4")
  .describe("e.g. 2026_Q4; default current quarter");

export const currencyInput = z.string().regex(/^[A-Z]{3}$/, "currency is a 3-letter ISO code such as USD").describe("ISO currency, e.g. USD");

export const scopeIdInput = listedPlain(z.string().min(1).max(200).describe("Hierarchy root, e.g. 1905::MGR"));

export const entityInput = listedPlain(
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, "an entity is a name such as account or opportunity")
    .describe("account, opportunity or a sub-object"),
);

/** A field name of an entity's schema. */
export const fieldNameInput = listedPlain(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, "a field name is letters, digits and '_'"));

export const ingestOptionsShape = {
  mode: z.enum(["initial", "incremental"]).optional(),
  isLastBatch: z.boolean().optional(),
};

/** An ISO 8601 date or date-time (Clari's audit and activity filters). */
export const isoDateInput = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), "use an ISO date such as 2026-11-01 or 2026-11-01T00:00:00Z");

/** One dataset of partner ingest records (clari_ingest_records, clari_ingest_bulk). */
const recordInput = z
  .object({
    id: listedPlain(z.string().min(1).max(64).describe("CRM id")),
    createdAt: listedPlain(z.number().int().min(0).max(1e13).describe("Epoch ms")),
    updatedAt: listedPlain(z.number().int().min(0).max(1e13).describe("Epoch ms, >= createdAt")),
  })
  .catchall(z.unknown())
  .refine((r) => r.updatedAt >= r.createdAt, "updatedAt must be greater than or equal to createdAt");

export const ingestDatasetInput = z.object({
  sourceEntity: listedPlain(z.string().min(1).max(100)),
  records: z.array(recordInput).min(1),
});
