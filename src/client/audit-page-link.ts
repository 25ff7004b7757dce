/**
 * An audit page link (GET /audit/events's `nextLink`) as it may be followed. The link comes from
 * Clari, or back from an assistant as an opaque cursor, so neither is trusted: it must point at
 * exactly the configured /audit/events, and its query may hold only the operation's own parameters
 * (clari-openapi.yaml, operation listAuditEvents: limit 1-1000, actorId and impersonatingActorId
 * int64, sessionId a UUID of at most 36 characters, sessionType WEB/IOS/ANDROID, dateFrom/dateTo a
 * date or date-time, event a name), each once and with a value it allows, plus one page token.
 * The spec names no page-token parameter, so the usual names are accepted with an opaque value.
 * The query sent is rebuilt from the checked parameters; anything else is refused before sending.
 */
import { ClariConfigError } from "./errors.js";

const INT64 = /^\d{1,19}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const isDate = (v: string): boolean => ISO_DATE.test(v) && !Number.isNaN(Date.parse(v));

/** The operation's own query parameters and what each accepts, with the rule worded for an error. */
const OPERATION_PARAMETERS: Record<string, { ok: (v: string) => boolean; rule: string }> = {
  limit: { ok: (v) => /^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 1000, rule: "an integer from 1 to 1000" },
  actorId: { ok: (v) => INT64.test(v), rule: "a numeric user id" },
  impersonatingActorId: { ok: (v) => INT64.test(v), rule: "a numeric user id" },
  sessionId: { ok: (v) => /^[0-9A-Fa-f-]{1,36}$/.test(v), rule: "a UUID" },
  sessionType: { ok: (v) => ["WEB", "IOS", "ANDROID"].includes(v), rule: "WEB, IOS or ANDROID" },
  dateFrom: { ok: isDate, rule: "a date or date-time (ISO 8601)" },
  dateTo: { ok: isDate, rule: "a date or date-time (ISO 8601)" },
  event: { ok: (v) => /^[A-Za-z0-9_.:-]{1,200}$/.test(v), rule: "an event name such as forecast.updated" },
};

/** Page-token names a paging API uses (the spec names none): an opaque token, or a position. */
const PAGE_TOKENS: Record<string, { ok: (v: string) => boolean; rule: string }> = {
  cursor: { ok: (v) => /^[A-Za-z0-9._~+/=:-]{1,4096}$/.test(v), rule: "an opaque token" },
  pageToken: { ok: (v) => /^[A-Za-z0-9._~+/=:-]{1,4096}$/.test(v), rule: "an opaque token" },
  nextPageToken: { ok: (v) => /^[A-Za-z0-9._~+/=:-]{1,4096}$/.test(v), rule: "an opaque token" },
  continuationToken: { ok: (v) => /^[A-Za-z0-9._~+/=:-]{1,4096}$/.test(v), rule: "an opaque token" },
  offset: { ok: (v) => /^\d{1,12}$/.test(v), rule: "a non-negative integer" },
  page: { ok: (v) => /^\d{1,12}$/.test(v), rule: "a non-negative integer" },
};

const refuse = (why: string): never => {
  throw new ClariConfigError(`The audit page link is not one to follow: ${why}. Nothing was sent to Clari; list the audit events again without a cursor.`);
};

/** The path and query to send for a page link, checked against the configured v4 base and the operation. */
export function auditPagePath(link: string, v4BaseUrl: string): string {
  const base = new URL(v4BaseUrl);
  let url: URL;
  try {
    url = new URL(link, base);
  } catch {
    return refuse("it is not a valid link");
  }
  const basePath = base.pathname.replace(/\/+$/, "");
  if (url.origin !== base.origin || url.pathname !== `${basePath}/audit/events`) refuse("it does not point at the configured Clari API's /audit/events");
  const query = new URLSearchParams();
  let tokens = 0;
  for (const [name, value] of url.searchParams) {
    const known = Object.hasOwn(OPERATION_PARAMETERS, name) ? OPERATION_PARAMETERS[name] : Object.hasOwn(PAGE_TOKENS, name) ? PAGE_TOKENS[name] : undefined;
    const shown = JSON.stringify(name.slice(0, 40));
    if (!known) refuse(`it carries ${shown}, which GET /audit/events does not take`);
    if (query.has(name)) refuse(`it carries ${shown} more than once`);
    if (!known!.ok(value)) refuse(`its ${shown} is not ${known!.rule}`);
    if (Object.hasOwn(PAGE_TOKENS, name) && ++tokens > 1) refuse("it carries more than one page token");
    query.append(name, value);
  }
  const search = query.toString();
  return url.pathname.slice(basePath.length) + (search ? `?${search}` : "");
}
