/**
 * The export life cycle's one front door. Tools, resources, tasks and the runtime import from
 * here and nowhere else inside src/exports: ask for an export (reuse, resume, queue, wait,
 * download, store), read what is stored (files, rows, summaries), the reads kept for questions,
 * and the SQL engine over all of it. Each function takes an ExportDeps (context.ts), not the
 * whole runtime.
 */
export type { CallContext, ExportDeps } from "./context.js";

// Asking for exports and waiting on jobs.
export { cancelUnlessWaited, forgetJob, obtainExport, reportedOutcome, resumeExport, waitWithProgress } from "./jobs/obtain.js";
export type { ExportOutcome, ExportRequest } from "./jobs/obtain.js";
export { BudgetExhaustedError, ExportJobError, NotQueuedError, UnconfirmedQueueError, type NextStep } from "./jobs/errors.js";
export { Journal } from "./jobs/journal.js";

// What is stored.
export { storedExport } from "./jobs/download.js";
export { EXPORT_LIFETIME_MS, ExportStore, type ExportKind, type StoredExport } from "./store/store.js";
export { Observations } from "./store/observations.js";
export { TableCache } from "./table/table-cache.js";
export { storedCount, type StoredFamily } from "./store/stored-counts.js";
export { METRIC_NAMES } from "./query/metrics.js";

// Stored exports described and read.
export { KIND_LABEL, summariseStored } from "./summary/summarise-stored.js";
export { eventRows, filterAudit, filterWords, type AuditFilter } from "./summary/summarise-events.js";
export type { Summarised } from "./summary/summarised.js";
export { ActivitySummarySchema, AuditSummarySchema, ExportSummarySchema, ForecastSummarySchema } from "./summary/summary-schemas.js";
export type { ActivitySummary, AuditSummary, ExportSummary, ForecastSummary } from "./summary/summary-schemas.js";

// Reads that spend no quota, kept for questions.
export { lookUpOpportunities, readAuditEvents, readCurrentForecast } from "./observed/observed-reads.js";
export { lookUpTouchedOpportunities, MAX_TOUCHED, type Touched } from "./observed/touched-opportunities.js";

// The Forecast Tabs known (setting, exports, audit log): Clari has no API that lists them.
export { knownForecastTabs, type KnownTab } from "./tabs/known-tabs.js";

// Questions over everything stored.
export { DEFAULT_ROWS, MAX_ROWS, QueryEngine } from "./query/engine.js";
export type { QueryAnswer, QueryOptions } from "./query/engine.js";
export { QueryError } from "./query/errors.js";
export { contractMarkdown } from "./query/contract-markdown.js";
