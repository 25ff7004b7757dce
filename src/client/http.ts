/**
 * All HTTP to Clari goes through here: one keep-alive undici Agent wrapped in a RetryAgent,
 * auth headers, the client-side rate limiter, a per-call time budget, and the mapping of every
 * failure to the client's error classes. Callers get parsed JSON or a body stream.
 */
import { callBudget } from "./call-budget.js";
import { ClariClock } from "./clock.js";
import type { Dispatcher, FormData } from "undici";
import type { Readable } from "node:stream";
import { ClariConfigError, ClariNetworkError, ClariResponseError } from "./errors.js";
import { errorFromResponse } from "./error-body.js";
import { buildQuery, type QueryValue } from "./path.js";
import { RateLimiter } from "./rate-limiter.js";
import { NOT_SENT_CODES, RETRYABLE_STATUSES, createRetryCallback, parseRetryAfter, type RetrySettings } from "./retry-policy.js";

export interface HttpClientOptions {
  v4BaseUrl: string;
  v2BaseUrl: string;
  apiKey?: string | undefined;
  partnerKey?: string | undefined;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Budget for one logical call, retries and their waits included. */
  callTimeoutMs?: number;
  retry?: Partial<RetrySettings>;
  requestsPerSecond?: number;
  userAgent?: string;
  /** Replaces the real dispatcher (undici MockAgent in unit tests). */
  dispatcher?: Dispatcher;
  /** Base URLs known only later (the in-process sandbox's port): asked once, before the first call. */
  resolveBaseUrls?: () => Promise<{ v4BaseUrl: string; v2BaseUrl: string }>;
  /** Called once per finished call; never receives headers or bodies. */
  onCall?: (info: { operation: string; method: string; status: number | "error"; ms: number }) => void;
}

export interface HttpRequest {
  /** Names the call in errors and logs, e.g. "GET /export/jobs/{jobId}". */
  operation: string;
  api: "v4" | "v2";
  method: "GET" | "POST" | "PATCH";
  /** Already encoded with apiPath. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal | undefined;
}

export interface JsonResponse {
  status: number;
  data: unknown;
}

export interface StreamResponse {
  status: number;
  contentType: string;
  /** The declared size, when Clari sent one: a download over its cap is refused before it starts. */
  contentLength: number | undefined;
  body: Readable;
}

export const DEFAULT_RETRY: RetrySettings = { maxRetries: 4, minDelayMs: 500, maxDelayMs: 20_000 };
const ERROR_BODY_LIMIT = 64 * 1024;
/** JSON answers (not export files, which stream to disk) larger than this are refused. */
const JSON_BODY_LIMIT = 64 * 1024 * 1024;

/** undici is loaded on the first call, not at start-up: a server's first tools/list needs no HTTP. */
let undiciModule: Promise<typeof import("undici")> | undefined;
const loadUndici = (): Promise<typeof import("undici")> => (undiciModule ??= import("undici"));

export class HttpClient {
  private dispatcher: Promise<Dispatcher> | undefined;
  private readonly ownsDispatcher: boolean;
  private readonly limiter: RateLimiter;
  private readonly callTimeoutMs: number;
  private baseUrlsReady: Promise<void> | undefined;
  private closed = false;
  /** Clari's clock, learned from every answer's Date header (job times are Clari's). */
  readonly clock = new ClariClock();

  constructor(private readonly options: HttpClientOptions) {
    for (const [name, url] of [["v4", options.v4BaseUrl], ["v2", options.v2BaseUrl]] as const) {
      if (!/^https?:\/\//.test(url)) throw new ClariConfigError(`The ${name} base URL must start with http:// or https:// (got ${JSON.stringify(url)}).`);
    }
    this.ownsDispatcher = options.dispatcher === undefined;
    this.limiter = new RateLimiter(options.requestsPerSecond ?? 100);
    this.callTimeoutMs = options.callTimeoutMs ?? 45_000;
  }

  baseUrl(api: "v4" | "v2"): string {
    return api === "v4" ? this.options.v4BaseUrl : this.options.v2BaseUrl;
  }

  private resolveBaseUrls(): Promise<void> {
    const resolve = this.options.resolveBaseUrls;
    if (!resolve) return Promise.resolve();
    this.baseUrlsReady ??= resolve().then((urls) => {
      this.options.v4BaseUrl = urls.v4BaseUrl;
      this.options.v2BaseUrl = urls.v2BaseUrl;
    });
    return this.baseUrlsReady;
  }

  get hasPartnerKey(): boolean {
    return Boolean(this.options.partnerKey);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDispatcher && this.dispatcher) await (await this.dispatcher).close();
  }

  /**
   * Loads undici and makes the dispatcher now, without a request (nothing is sent): the server
   * calls it once it is idle after start-up, so the first call does not pay ~100 ms of loading.
   */
  prepare(): Promise<void> {
    // Once closed, nothing is made again (the server may be shutting down when the timer fires).
    if (this.closed) return Promise.resolve();
    return this.getDispatcher().then(
      () => undefined,
      () => undefined,
    );
  }

  /** One keep-alive Agent (or the injected dispatcher) behind undici's RetryAgent, made on first use. */
  private getDispatcher(): Promise<Dispatcher> {
    this.dispatcher ??= loadUndici().then(({ Agent, RetryAgent }) => {
      const options = this.options;
      const retry = { ...DEFAULT_RETRY, ...options.retry };
      const base =
        options.dispatcher ??
        new Agent({
          connect: { timeout: options.connectTimeoutMs ?? 10_000 },
          headersTimeout: options.headersTimeoutMs ?? 30_000,
          bodyTimeout: options.bodyTimeoutMs ?? 60_000,
          keepAliveTimeout: 30_000,
          connections: 32,
        });
      return new RetryAgent(base, {
        retry: createRetryCallback(retry, this.limiter),
        maxRetries: retry.maxRetries,
        statusCodes: RETRYABLE_STATUSES,
        methods: ["GET", "HEAD", "OPTIONS", "POST", "PATCH"],
        throwOnError: false,
      });
    });
    return this.dispatcher;
  }

  /** A multipart form for uploads (undici's FormData, loaded with undici). */
  async formData(): Promise<FormData> {
    return new (await loadUndici()).FormData();
  }

  /** A call whose 2xx body is JSON (or empty). */
  async json(req: HttpRequest): Promise<JsonResponse> {
    return this.send(req, async (status, body, headers) => {
      const tooLarge = () => new ClariResponseError(req.operation, status, `${req.operation} returned more than ${JSON_BODY_LIMIT} bytes of JSON; refused.`);
      if (Number(headers["content-length"] ?? 0) > JSON_BODY_LIMIT) {
        body.destroy();
        throw tooLarge();
      }
      const text = await readLimited(body, JSON_BODY_LIMIT, tooLarge);
      if (text.trim() === "") return { status, data: undefined };
      try {
        return { status, data: JSON.parse(text) as unknown };
      } catch {
        throw new ClariResponseError(req.operation, status, `${req.operation} returned a body that is not valid JSON (${text.length} bytes, possibly truncated).`);
      }
    });
  }

  /** A call whose 2xx body is streamed to the caller (large export files). */
  async stream(req: HttpRequest): Promise<StreamResponse> {
    return this.send(req, async (status, body, headers) => ({
      status,
      contentType: String(headers["content-type"] ?? "application/octet-stream"),
      contentLength: Number.isFinite(Number(headers["content-length"])) && headers["content-length"] !== undefined ? Number(headers["content-length"]) : undefined,
      body: body as unknown as Readable,
    }), { keepOpen: true });
  }

  private headersFor(req: HttpRequest): Record<string, string> {
    if (!this.options.apiKey) throw new ClariConfigError("No Clari API key is configured: set CLARI_API_KEY, or start with --sandbox to use the local simulated Clari.");
    const headers: Record<string, string> = {
      apikey: this.options.apiKey,
      accept: "application/json, text/csv;q=0.9, */*;q=0.5",
      "user-agent": this.options.userAgent ?? "clari-mcp",
    };
    if (req.api === "v2") {
      if (!this.options.partnerKey) throw new ClariConfigError("This ingest operation needs a partner key: set CLARI_PARTNER_KEY.");
      headers.partnerkey = this.options.partnerKey;
    }
    if (req.json !== undefined) headers["content-type"] = "application/json";
    return headers;
  }

  private async send<T>(
    req: HttpRequest,
    onSuccess: (status: number, body: Dispatcher.ResponseData["body"], headers: Dispatcher.ResponseData["headers"]) => Promise<T>,
    { keepOpen = false } = {},
  ): Promise<T> {
    const headers = this.headersFor(req);
    await this.resolveBaseUrls();
    const url = this.baseUrl(req.api).replace(/\/+$/, "") + req.path + buildQuery(req.query);
    // A streamed download is bounded by the Agent's body timeout instead of the call budget.
    const budget = keepOpen ? undefined : callBudget(req.signal, this.callTimeoutMs);
    const combined = budget?.signal ?? req.signal;
    const started = Date.now();
    let status: number | "error" = "error";
    try {
      // Everything slow comes before the rate-limit slot: a slot taken is a request sent now, so
      // the requests of one window cannot reach Clari bunched with the next window's.
      const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.getDispatcher()]);
      await this.limiter.acquire(combined).catch((reason) => {
        throw this.networkError(req, reason, req.signal);
      });
      const sentAt = Date.now();
      const response = await request(url, {
        dispatcher,
        method: req.method,
        headers,
        body: req.form ?? (req.json === undefined ? undefined : JSON.stringify(req.json)),
        signal: combined,
      }).catch((error: unknown) => {
        throw this.networkError(req, error, req.signal);
      });
      status = response.statusCode;
      this.clock.observe(response.headers.date, sentAt, Date.now());
      if (status >= 200 && status < 300) {
        return await onSuccess(status, response.body, response.headers).catch((error: unknown) => {
          if (error instanceof ClariResponseError) throw error;
          throw this.networkError(req, error, req.signal);
        });
      }
      const bodyText = await readLimited(response.body, ERROR_BODY_LIMIT).catch(() => "");
      throw errorFromResponse({
        status,
        bodyText,
        operation: req.operation,
        retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
      });
    } finally {
      budget?.release();
      if (!keepOpen || status === "error") this.options.onCall?.({ operation: req.operation, method: req.method, status, ms: Date.now() - started });
    }
  }

  private networkError(req: HttpRequest, error: unknown, callerSignal: AbortSignal | undefined): ClariNetworkError {
    const code = (error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
    const name = (error as { name?: string })?.name;
    if (callerSignal?.aborted) {
      return new ClariNetworkError({ kind: "aborted", operation: req.operation, message: `${req.operation} was cancelled.`, mayHaveReachedServer: true, causeCode: code });
    }
    const timedOut = name === "TimeoutError" || name === "AbortError" || code === "UND_ERR_ABORTED" || /TIMEOUT/.test(code ?? "");
    if (timedOut) {
      return new ClariNetworkError({
        kind: "timeout",
        operation: req.operation,
        message: `${req.operation} timed out (${code ?? "time budget exhausted"}). Clari may be slow; try again shortly.`,
        mayHaveReachedServer: code !== "UND_ERR_CONNECT_TIMEOUT",
        causeCode: code,
      });
    }
    const notSent = code !== undefined && NOT_SENT_CODES.has(code);
    return new ClariNetworkError({
      kind: "connection",
      operation: req.operation,
      message: `${req.operation} could not reach Clari (${code ?? (error as Error)?.message ?? "network error"}).${notSent ? " The request was not sent." : ""}`,
      mayHaveReachedServer: !notSent,
      causeCode: code,
    });
  }
}

/** A body as text, at most `limit` bytes: cut there, or refused with `onOverflow` when given. */
async function readLimited(body: Dispatcher.ResponseData["body"], limit: number, onOverflow?: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > limit && onOverflow) {
      body.destroy();
      throw onOverflow();
    }
    if (size < limit) chunks.push(buf.subarray(0, limit - size));
    size += buf.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}
