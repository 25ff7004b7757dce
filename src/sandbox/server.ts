/**
 * The HTTP front: routing, auth (apikey; partnerkey for ingest), per-key rate limiting, body size
 * limits, fault injection and response writing. Handlers live in the per-family modules.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { exportActivity } from "./activity.js";
import { exportAuditEvents, listAuditEvents } from "./audit.js";
import { familyError, gatewayPage, ingestError } from "./errors.js";
import { adminLimits, exportForecast, getJob, jobResults, listJobs, patchJob, readForecast } from "./export.js";
import { readBody } from "./http-util.js";
import { addPicklistValues, getPicklistValues, ingestBulk, ingestJobStatus, ingestRecords } from "./ingest.js";
import { getOpportunities } from "./opportunity.js";
import { Rng, hashKey } from "./random.js";
import type { Family, Handler, Reply, RequestContext, SandboxState } from "./types.js";

interface Route {
  version: "v4" | "v2";
  template: string;
  pattern: RegExp;
  keys: string[];
  family: Family;
  methods: Partial<Record<string, Handler>>;
}

function route(version: Route["version"], template: string, family: Family, methods: Route["methods"]): Route {
  const keys: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { version, template, pattern: new RegExp(`^${source}$`), keys, family, methods };
}

export const ROUTES: readonly Route[] = [
  route("v4", "/export/forecast/{forecastId}", "export", { POST: exportForecast }),
  route("v4", "/export/forecast", "export", { POST: exportForecast }),
  route("v4", "/export/jobs", "export", { GET: listJobs }),
  route("v4", "/export/jobs/{jobId}", "export", { GET: getJob, PATCH: patchJob }),
  route("v4", "/export/jobs/{jobId}/results", "export", { GET: jobResults }),
  route("v4", "/admin/limits", "export", { GET: adminLimits }),
  route("v4", "/export/audit/events", "audit", { POST: exportAuditEvents }),
  route("v4", "/audit/events", "audit", { GET: listAuditEvents }),
  route("v4", "/opportunity", "opportunity", { GET: getOpportunities }),
  route("v4", "/export/activity", "activity", { POST: exportActivity }),
  route("v4", "/forecast/{forecastId}", "export", { GET: readForecast }),
  route("v4", "/forecast", "export", { GET: readForecast }),
  route("v2", "/ingest/bulk/entity/{entity}", "ingest", { POST: ingestBulk }),
  route("v2", "/ingest/entity/{entity}", "ingest", { POST: ingestRecords }),
  route("v2", "/ingest/job/{jobId}", "ingestJob", { GET: ingestJobStatus }),
  route("v2", "/ingest/schema/{entity}/field", "ingest", { GET: getPicklistValues, POST: addPicklistValues }),
];

/** Family for paths no route matches, so even a 404 has a familiar body. */
function familyForPath(path: string): Family {
  if (path.startsWith("/v2/")) return "ingest";
  if (path.startsWith("/v4/audit") || path.startsWith("/v4/export/audit")) return "audit";
  if (path.startsWith("/v4/opportunity")) return "opportunity";
  if (path.startsWith("/v4/export/activity")) return "activity";
  return "export";
}

interface Match {
  route: Route;
  params: Record<string, string>;
  rest: string;
}

function matchRoute(pathname: string): Match | null {
  const m = /^\/(v4|v2)(\/.*)$/.exec(pathname);
  if (!m) return null;
  const version = m[1] as Route["version"];
  const rest = m[2] as string;
  for (const r of ROUTES) {
    if (r.version !== version) continue;
    const hit = r.pattern.exec(rest);
    if (!hit) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => {
      const raw = hit[i + 1] ?? "";
      try {
        params[k] = decodeURIComponent(raw);
      } catch {
        params[k] = raw;
      }
    });
    return { route: r, params, rest };
  }
  return null;
}

export interface ServerStats {
  requests: number;
  byRoute: Record<string, number>;
}

/** A sliding one-second window of admitted requests per apikey (real, monotonic time). */
class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  /** 0 when admitted, else milliseconds until a slot frees. */
  take(key: string, limit: number): number {
    const now = performance.now();
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = []));
    while (w.length > 0 && (w[0] as number) <= now - 1000) w.shift();
    if (w.length >= limit) return Math.max(1, Math.ceil((w[0] as number) + 1000 - now));
    w.push(now);
    return 0;
  }
}

export interface RequestHandlerDeps {
  state: SandboxState;
  stats: ServerStats;
  log?: (line: string) => void;
  baseUrl: () => string;
}

export function createRequestHandler(deps: RequestHandlerDeps): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  cancelPending: () => void;
} {
  const { state, stats } = deps;
  const faultRng = new Rng(hashKey(state.opts.seed, "faults"));
  const limiter = new RateLimiter();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const log = (method: string, path: string, status: number | string, started: number): void => {
    if (!deps.log) return;
    try {
      deps.log(`${method} ${path} ${status} ${Math.round(performance.now() - started)}ms`);
    } catch {
      // a failing logger must not break the sandbox
    }
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    opts: { truncate: boolean; close?: boolean; method: string; path: string; started: number },
  ): void => {
    let body: Buffer | undefined;
    let contentType: string | undefined;
    if (reply.json !== undefined) {
      body = Buffer.from(JSON.stringify(reply.json));
      contentType = "application/json";
    } else if (reply.text !== undefined) {
      body = Buffer.from(reply.text);
      contentType = reply.contentType ?? "text/plain; charset=utf-8";
    }
    if (body && opts.truncate && contentType?.startsWith("application/json") && body.length > 1) {
      body = body.subarray(0, Math.floor(body.length / 2));
    }
    const headers: Record<string, string | number> = {
      date: new Date(state.now()).toUTCString(),
      "content-length": body?.length ?? 0,
      ...(contentType ? { "content-type": contentType } : {}),
      ...(reply.headers ?? {}),
    };
    if (opts.close) headers.connection = "close";
    later(state.faults.latencyMs, () => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(reply.status, headers);
      res.end(body);
      log(opts.method, opts.path, reply.status, opts.started);
      if (opts.close) {
        // Discard (not buffer) whatever the client is still sending, then let the socket go.
        req.resume();
        const t = setTimeout(() => req.socket.destroy(), 2000);
        t.unref();
      }
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://sandbox.invalid");
    } catch {
      url = new URL("http://sandbox.invalid/");
    }
    let pathname = url.pathname;
    if (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.replace(/\/+$/, "");
    const match = matchRoute(pathname);
    const family = match?.route.family ?? familyForPath(pathname);
    const routeKey = match ? `${method} /${match.route.version}${match.route.template}` : `${method} (no route)`;
    stats.requests++;
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;

    const body = await readBody(req);
    const base = { method, path: pathname, started };
    if (!body.ok) {
      if (body.reason === "aborted") {
        log(method, pathname, "aborted", started);
        return;
      }
      send(req, res, familyError(state, family, 413, "too_large", "Request body exceeds the maximum size of 11 MB"), {
        ...base,
        truncate: false,
        close: true,
      });
      return;
    }

    // Faults: always draw the same three numbers so the sequence only depends on request order.
    const rReset = faultRng.next();
    const rError = faultRng.next();
    const rTruncate = faultRng.next();
    const faults = state.faults;
    const truncate = rTruncate < faults.truncateRate;
    if (rReset < faults.resetRate) {
      later(faults.latencyMs, () => {
        req.socket.destroy();
        log(method, pathname, "reset", started);
      });
      return;
    }
    if (rError < faults.errorRate) {
      const status = faults.errorStatus;
      const reply =
        status === 500 ? familyError(state, family, 500, "internal", "An unexpected error occurred.") : gatewayPage(status);
      send(req, res, reply, { ...base, truncate });
      return;
    }

    let reply: Reply;
    try {
      reply = await dispatch(req, url, pathname, match, family, body.body);
    } catch {
      reply = familyError(state, family, 500, "internal", "An unexpected error occurred.");
    }
    send(req, res, reply, { ...base, truncate });
  };

  const dispatch = async (
    req: IncomingMessage,
    url: URL,
    pathname: string,
    match: Match | null,
    family: Family,
    body: Buffer,
  ): Promise<Reply> => {
    const method = (req.method ?? "GET").toUpperCase();
    if (!match) return familyError(state, family, 404, "not_found", `No such resource: ${method} ${pathname}`);
    const handler = match.route.methods[method];
    if (!handler) {
      const reply = familyError(state, family, 405, "method_not_allowed", `Method ${method} is not allowed on ${pathname}`);
      reply.headers = { allow: Object.keys(match.route.methods).join(", ") };
      return reply;
    }

    // Auth: the apikey on every call; the partnerkey too on ingest (v2).
    const apikey = req.headers.apikey;
    if (typeof apikey !== "string" || apikey !== state.opts.apiKey) {
      return familyError(state, family, 401, "unauthorized", "Invalid authentication credentials");
    }
    if (match.route.version === "v2") {
      const partnerkey = req.headers.partnerkey;
      if (typeof partnerkey !== "string" || partnerkey !== state.opts.partnerKey) {
        return ingestError(401, ["INVALID_PARTNER_KEY", "Unauthorized PartnerKey"]);
      }
    }

    const wait = limiter.take(apikey, state.opts.rateLimitPerSecond);
    if (wait > 0) {
      const message =
        family === "ingest"
          ? `API rate limit exceeded. The api limit is ${state.opts.rateLimitPerSecond} requests per second per api token`
          : "API rate limit exceeded";
      const reply = familyError(state, family, 429, "rate_limited", message);
      const mode = state.faults.retryAfter;
      if (mode === "seconds") reply.headers = { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) };
      else if (mode === "date") {
        const at = Math.ceil((state.now() + wait) / 1000) * 1000 + 1000;
        reply.headers = { "retry-after": new Date(at).toUTCString() };
      }
      return reply;
    }

    const host = req.headers.host;
    const origin = typeof host === "string" && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `http://${host}` : deps.baseUrl();
    const ctx: RequestContext = {
      method,
      path: match.rest,
      url,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      body,
      now: state.now(),
      origin,
      state,
    };
    return handler(ctx);
  };

  return {
    handle: (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: "internal_server_error", message: "An unexpected error occurred." }));
        }
      });
    },
    cancelPending: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
