/**
 * The retry policy plugged into undici's RetryAgent: undici runs the loop, this decides whether
 * and when. The rules that undici's default cannot express:
 * - a request that queues a job (POST, PATCH) is retried only when it provably never reached the
 *   server (the connection itself failed), so a job is never queued twice;
 * - Retry-After in seconds or as an HTTP date, with full jitter on our own backoff;
 * - waits end at once when the request's AbortSignal fires.
 */
import type { RetryHandler } from "undici";

export interface RetrySettings {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff delay; doubles per retry. */
  minDelayMs: number;
  /** Cap for any single wait, Retry-After included. */
  maxDelayMs: number;
}

/** Statuses worth another try for a safe request. */
export const RETRYABLE_STATUSES = [429, 502, 503, 504];

/** Errors raised before a single byte was sent: the server never saw the request. */
export const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
]);

/** Errors after which a safe (GET) request may be sent again. */
const RETRYABLE_NETWORK_CODES = new Set([
  ...NOT_SENT_CODES,
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Parse a Retry-After header (delta-seconds or HTTP-date) into milliseconds from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with full jitter: uniform in [base/2, base]. */
export function backoffDelay(attempt: number, settings: RetrySettings, random = Math.random): number {
  const base = Math.min(settings.maxDelayMs, settings.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + random() * (base / 2));
}

interface RetryErrorShape {
  statusCode?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
}

export function shouldRetry(method: string, error: RetryErrorShape): boolean {
  const safe = SAFE_METHODS.has(method.toUpperCase());
  if (error.statusCode !== undefined) return safe && RETRYABLE_STATUSES.includes(error.statusCode);
  const code = error.code ?? "";
  return safe ? RETRYABLE_NETWORK_CODES.has(code) : NOT_SENT_CODES.has(code);
}

/** How retries share the client's rate limiter: every attempt takes a slot. */
export interface RetryLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** Build the `retry` callback for undici's RetryAgent. */
export function createRetryCallback(settings: RetrySettings, limiter?: RetryLimiter): RetryHandler.RetryCallback {
  return (err, { state, opts }, cb) => {
    const error = err as unknown as RetryErrorShape;
    const method = String(opts.method ?? "GET");
    const signal = (opts as { signal?: AbortSignal }).signal;
    if (signal?.aborted || state.counter > settings.maxRetries || !shouldRetry(method, error)) {
      cb(err);
      return;
    }
    const retryAfter = error.statusCode !== undefined ? parseRetryAfter(error.headers?.["retry-after"]) : undefined;
    const delay = Math.min(settings.maxDelayMs, retryAfter ?? backoffDelay(state.counter, settings));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      // A retry is a request like any other: it waits for a slot in the rate limiter.
      (limiter ? limiter.acquire(signal) : Promise.resolve()).then(
        () => cb(null),
        () => cb(err),
      );
    }, delay);
    const onAbort = (): void => {
      clearTimeout(timer);
      cb(err);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  };
}
