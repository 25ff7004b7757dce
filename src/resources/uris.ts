/**
 * Every clari:// URI this server hands out or serves, built in one place so a link in a tool
 * answer and the resource that serves it can never drift apart.
 */
export const EXPORTS_URI = "clari://exports";
export const EXPORT_FILE_TEMPLATE = "clari://exports/{jobId}";
export const EXPORT_ROWS_TEMPLATE = "clari://exports/{jobId}/rows/{page}";
export const FORECAST_LATEST_TEMPLATE = "clari://forecasts/{forecastId}/latest";
export const AUDIT_EVENTS_URI = "clari://audit/events";
export const AUDIT_PAGE_TEMPLATE = "clari://audit/events/page/{token}";
export const LIMITS_URI = "clari://limits";
/** clari_query's tables and columns (docs/QUERY.md). */
export const SCHEMA_URI = "clari://schema";

export const exportUri = (jobId: string): string => `${EXPORTS_URI}/${jobId}`;
export const rowsUri = (jobId: string, page: number): string => `${exportUri(jobId)}/rows/${page}`;
/** An audit page: its filters and Clari's nextLink in one opaque token. */
export const auditPageUri = (token: unknown): string => `${AUDIT_EVENTS_URI}/page/${Buffer.from(JSON.stringify(token)).toString("base64url")}`;
