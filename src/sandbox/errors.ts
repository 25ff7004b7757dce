/**
 * Error bodies, one builder per API family, in the shapes the spec documents:
 * - export (forecast export, jobs, admin, sync forecast): {code, namespace, errorId, message, orgId}
 * - audit: {errors:[{code, message, target, status, details}]}
 * - activity: 400 {code:"Bad request", namespace:"activity", errorId, message, userId, orgId};
 *   401 {message}
 * - opportunity: [{statusCode, reaspnPhrase, description, details}] (sic)
 * - ingest: [{errorCode, errorSummary}]; the ingest job endpoint: {error}
 * Nothing here ever includes a request header value.
 */
import type { Family, Reply, SandboxState } from "./types.js";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export const reasonPhrase = (status: number): string => REASONS[status] ?? "Error";

export function exportError(
  state: SandboxState,
  status: number,
  code: string,
  message: string,
  namespace = "exports",
  extra: Record<string, unknown> = {},
): Reply {
  return {
    status,
    json: { code, namespace, errorId: state.ids.uuid(), message, orgId: state.org.orgId, ...extra },
  };
}

export function auditError(
  status: number,
  code: string,
  message: string,
  target?: string,
  details?: string,
): Reply {
  const err: Record<string, string> = { code, message, status: String(status) };
  if (target !== undefined) err.target = target;
  if (details !== undefined) err.details = details;
  return { status, json: { errors: [err] } };
}

export function activityError(state: SandboxState, status: number, message: string): Reply {
  return {
    status,
    json: {
      code: "Bad request",
      namespace: "activity",
      errorId: state.ids.hex(32),
      message,
      userId: state.org.apiUser.actorId,
      orgId: String(state.org.orgId),
    },
  };
}

export function opportunityError(status: number, description: string, details: string): Reply {
  return { status, json: [{ statusCode: status, reaspnPhrase: reasonPhrase(status), description, details }] };
}

export function ingestError(status: number, ...errors: Array<[code: string, summary: string]>): Reply {
  return { status, json: errors.map(([errorCode, errorSummary]) => ({ errorCode, errorSummary })) };
}

export function ingestJobError(status: number, error: string): Reply {
  return { status, json: { error } };
}

export type GenericKind = "unauthorized" | "rate_limited" | "not_found" | "method_not_allowed" | "too_large" | "internal";

const EXPORT_CODES: Record<GenericKind, string> = {
  unauthorized: "unauthorized",
  rate_limited: "rate_limit_exceeded",
  not_found: "not_found",
  method_not_allowed: "method_not_allowed",
  too_large: "payload_too_large",
  internal: "internal_server_error",
};

const INGEST_CODES: Record<GenericKind, string> = {
  unauthorized: "UNAUTHORIZED",
  rate_limited: "TOO_MANY_REQUESTS",
  not_found: "NOT_FOUND",
  method_not_allowed: "METHOD_NOT_ALLOWED",
  too_large: "INVALID_INPUT_FORMAT",
  internal: "INTERNAL_SERVER_ERROR",
};

/** Gateway-level errors (auth, rate limit, routing, size, injected faults) in each family's form. */
export function familyError(state: SandboxState, family: Family, status: number, kind: GenericKind, message: string): Reply {
  switch (family) {
    case "export":
      return exportError(state, status, EXPORT_CODES[kind], message);
    case "audit":
      return auditError(status, EXPORT_CODES[kind], message);
    case "activity":
      if (kind === "unauthorized" || kind === "rate_limited") return { status, json: { message } };
      return status >= 500
        ? exportError(state, status, EXPORT_CODES[kind], message)
        : activityError(state, status, message);
    case "opportunity":
      return opportunityError(status, reasonPhrase(status), message);
    case "ingest":
      if (kind === "unauthorized") return ingestJobError(status, message);
      return ingestError(status, [INGEST_CODES[kind], message]);
    case "ingestJob":
      return ingestJobError(status, message);
  }
}

/** An HTML page like a load balancer's, for injected 502/503/504. */
export function gatewayPage(status: number): Reply {
  const title = `${status} ${reasonPhrase(status)}`;
  return {
    status,
    contentType: "text/html; charset=utf-8",
    text: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
  };
}
