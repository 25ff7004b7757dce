/**
 * What stands in front of the SDK on HTTP, for both protocol eras (the SDK's handlers check no
 * Host, Origin or token): Host and Origin validation against DNS rebinding, the bearer tokens
 * (named; see bearer-tokens.ts), the body limit, and JSON parsing. JSON-RPC error bodies carry
 * the request's id whenever it is known.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopback, type Config } from "../config.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The JSON-RPC error code of the body (a transport-level refusal unless said otherwise). */
    readonly code = -32000,
  ) {
    super(message);
  }
}

export type RequestId = string | number | null;

/** The id of a single JSON-RPC request (null for notifications, batches, or anything else). */
export function requestIdOf(body: unknown): RequestId {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

export const rpcError = (code: number, message: string, id: RequestId = null) => ({ jsonrpc: "2.0", error: { code, message }, id });

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function hostName(hostHeader: string): string {
  return hostHeader.startsWith("[") ? hostHeader.slice(0, hostHeader.indexOf("]") + 1) : hostHeader.split(":")[0]!;
}

/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const WELL_FORMED_HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/;

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^bearer[ \t]+(.*?)[ \t]*$/i)?.[1];
}

/** Who a request is from, as far as the token tells: its name, or undefined when no token is configured. */
export type Caller = { tokenName: string | undefined };

export function createRequestGuard(config: Pick<Config, "host" | "httpTokens" | "allowedHosts" | "allowedOrigins">) {
  // Digests have one length, so the timing-safe compare does not reveal a token's length either.
  const tokens = config.httpTokens.map(({ name, token }) => ({ name, digest: digest(token) }));
  const allowedHosts = new Set(["localhost", "127.0.0.1", "[::1]", ...config.allowedHosts.map((h) => hostName(h.toLowerCase()))]);
  if (isLoopback(config.host)) allowedHosts.add(config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host);
  // A non-loopback bind is protected by its token; Host is then checked only if the operator listed hosts.
  const checkHost = isLoopback(config.host) || config.allowedHosts.length > 0;
  const allowedOrigins = new Set(config.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, "")));

  /** The name of the token the request carries (every token compared, so timing says nothing of which); null when none matches. */
  function tokenName(req: IncomingMessage): string | null {
    const given = bearerToken(req.headers.authorization);
    if (given === undefined) return null;
    const presented = digest(given);
    let match: string | null = null;
    for (const token of tokens) if (timingSafeEqual(presented, token.digest) && match === null) match = token.name;
    return match;
  }

  function isAuthorized(req: IncomingMessage): boolean {
    return tokens.length === 0 || tokenName(req) !== null;
  }

  /** The name of the static token the request carries, or null (beside OAuth sign-in, where no token here is no refusal yet). */
  function staticTokenName(req: IncomingMessage): string | null {
    return tokens.length === 0 ? null : tokenName(req);
  }

  /** Host and Origin are always checked; the token too unless tokenOptional (a health check). */
  const guard = (req: IncomingMessage, options: { tokenOptional?: boolean } = {}): Caller => {
    const host = (req.headers.host ?? "").toLowerCase();
    if (checkHost && !allowedHosts.has(hostName(host))) throw new HttpError(403, `Host ${JSON.stringify(host)} is not allowed (DNS rebinding protection). Use --allowed-hosts to add it.`);
    // A Host that is no host[:port] is refused before anything builds a URL from it.
    if (host !== "" && !WELL_FORMED_HOST.test(host)) throw new HttpError(400, "Malformed Host header.");
    const origin = req.headers.origin?.toLowerCase().replace(/\/+$/, "");
    if (origin && origin !== "null") {
      let originHost = "";
      try {
        originHost = new URL(origin).hostname;
      } catch {
        /* fall through to refusal */
      }
      const local = originHost === "localhost" || originHost === "127.0.0.1" || originHost === "[::1]";
      if (!local && !allowedOrigins.has(origin)) throw new HttpError(403, `Origin ${JSON.stringify(origin)} is not allowed. Use --allowed-origins to add it.`);
    } else if (origin === "null") {
      throw new HttpError(403, "Opaque origins are not allowed.");
    }
    if (tokens.length === 0 || options.tokenOptional) return { tokenName: undefined };
    const name = tokenName(req);
    if (name === null) throw new HttpError(401, "Missing or wrong bearer token.", { "www-authenticate": 'Bearer realm="clari-mcp"' });
    return { tokenName: name };
  };
  return Object.assign(guard, { isAuthorized, staticTokenName });
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new HttpError(413, `Request body over ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request body over ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "Parse error: the body is not valid JSON.", {}, -32700);
  }
}
