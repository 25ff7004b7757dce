/**
 * The client's error classes. Every failure a caller can see is one of these, so the MCP layer
 * can turn any of them into an actionable message without knowing HTTP details.
 */
import { redactSecrets } from "../security/redact.js";
import type { IngestJob } from "./schemas.js";

/** Which of Clari's four error-body families a response belonged to. */
export type ErrorFamily = "export" | "audit" | "opportunity" | "ingest" | "auth" | "unknown";

export interface ClariApiErrorInit {
  status: number;
  code: string;
  message: string;
  family: ErrorFamily;
  errorId?: string | undefined;
  /** The ingest job the error body carried (GET /ingest/job answers 400 and 500 with the job). */
  job?: IngestJob | undefined;
  /** What to do, in Clari's terms; the tools layer may word it for an assistant. */
  hint?: string | undefined;
  retryAfterMs?: number | undefined;
  /** The operation that failed, e.g. "POST /export/forecast/{forecastId}". */
  operation: string;
}

/** Clari answered with an error status and (usually) a typed error body. */
export class ClariApiError extends Error {
  override readonly name = "ClariApiError";
  readonly status: number;
  readonly code: string;
  readonly family: ErrorFamily;
  readonly errorId: string | undefined;
  readonly job: IngestJob | undefined;
  readonly hint: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly operation: string;

  constructor(init: ClariApiErrorInit) {
    super(redactSecrets(init.message));
    this.status = init.status;
    this.code = init.code;
    this.family = init.family;
    this.errorId = init.errorId;
    this.job = init.job;
    this.hint = init.hint === undefined ? undefined : redactSecrets(init.hint);
    this.retryAfterMs = init.retryAfterMs;
    this.operation = init.operation;
  }

  /** True when the refusal is about the export quota or the concurrency limit. */
  get isQuotaError(): boolean {
    return this.code === "export_monthly_quota_reached";
  }
}

export type NetworkErrorKind = "timeout" | "connection" | "aborted" | "protocol";

/** The request did not produce a usable HTTP answer: refused, reset, timed out, cut short. */
export class ClariNetworkError extends Error {
  override readonly name = "ClariNetworkError";
  readonly kind: NetworkErrorKind;
  readonly operation: string;
  /** False only when the request provably never reached the server (nothing was sent). */
  readonly mayHaveReachedServer: boolean;
  readonly causeCode: string | undefined;

  constructor(init: {
    kind: NetworkErrorKind;
    operation: string;
    message: string;
    mayHaveReachedServer: boolean;
    causeCode?: string | undefined;
  }) {
    super(redactSecrets(init.message));
    this.kind = init.kind;
    this.operation = init.operation;
    this.mayHaveReachedServer = init.mayHaveReachedServer;
    this.causeCode = init.causeCode;
  }
}

/** The server answered 2xx but the body was not what the operation returns (truncated, not JSON). */
export class ClariResponseError extends Error {
  override readonly name = "ClariResponseError";
  readonly operation: string;
  readonly status: number;

  constructor(operation: string, status: number, message: string) {
    super(redactSecrets(message));
    this.operation = operation;
    this.status = status;
  }
}

/** The client is not set up to make this call (no key, no partner key, bad base URL). */
export class ClariConfigError extends Error {
  override readonly name = "ClariConfigError";
}

/** The request was cancelled by the caller (an MCP cancellation or a closed connection). */
export function isAbortError(error: unknown): boolean {
  return error instanceof ClariNetworkError && error.kind === "aborted";
}
