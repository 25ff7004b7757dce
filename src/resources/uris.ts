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
/** The Forecast Tab ids known (setting, stored exports, audit log). */
export const FORECAST_TABS_URI = "clari://forecast-tabs";
/** The audit trail of tool calls (admin permission): the newest page, and further pages by an opaque token. */
export const AUDIT_TRAIL_URI = "clari://audit-trail";
export const AUDIT_TRAIL_PAGE_TEMPLATE = "clari://audit-trail/page/{token}";
/** Registered resource names that need the admin permission rather than read. */
export const ADMIN_RESOURCES: ReadonlySet<string> = new Set(["audit-trail", "audit-trail-page"]);
/** clari_query's tables and columns (docs/QUERY.md). */
export const SCHEMA_URI = "clari://schema";
/** The forecast view (an MCP App): one self-contained HTML file, linked from clari_export_forecast and clari_query. */
export const FORECAST_VIEW_URI = "ui://clari/forecast-view.html";
/**
 * The MCP Apps (ext-apps) names this server uses, the same strings as ext-apps' RESOURCE_MIME_TYPE and
 * RESOURCE_URI_META_KEY (a test holds them equal): ext-apps is a build-time dependency only, bundled into the view.
 */
export const MCP_APP_MIME_TYPE = "text/html;profile=mcp-app";
export const MCP_APP_LEGACY_URI_KEY = "ui/resourceUri";

export const exportUri = (jobId: string): string => `${EXPORTS_URI}/${jobId}`;
export const rowsUri = (jobId: string, page: number): string => `${exportUri(jobId)}/rows/${page}`;
/** An audit page: its filters and Clari's nextLink in one opaque token. */
export const auditPageUri = (token: unknown): string => `${AUDIT_EVENTS_URI}/page/${Buffer.from(JSON.stringify(token)).toString("base64url")}`;
/** A further page of the audit trail: the rows before `before` (an audit row id). */
export const auditTrailPageUri = (before: string): string => `${AUDIT_TRAIL_URI}/page/${Buffer.from(JSON.stringify({ before })).toString("base64url")}`;
