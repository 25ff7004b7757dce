/**
 * Streamable HTTP transport on node:http. In front of the SDK's transport sit the checks a local
 * HTTP server needs: Host and Origin validation (DNS rebinding), a bearer token when configured,
 * a request body limit and JSON parsing with a protocol error for bad JSON.
 * Stateful mode keeps one McpServer per session in a bounded table that evicts idle sessions
 * (session-table.ts); stateless mode builds one per request so any replica behind a load balancer
 * can answer any request.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { isLoopback, type Config } from "../config.js";
import { createServer } from "../server.js";
import { VERSION } from "../version.js";
import type { Deps } from "../deps.js";
import { SessionTable, type SessionEntry } from "./session-table.js";

export interface HttpHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Session extends SessionEntry {
  transport: StreamableHTTPServerTransport;
}

/** Sessions unused this long are closed (clients that vanished without DELETE). */
const SESSION_IDLE_MS = 30 * 60_000;
/** A full table evicts its least recently used idle session for a new one. */
const MAX_SESSIONS = 1000;
/** One client (remote address + User-Agent) holds at most this many; its own oldest idle goes first. */
const MAX_SESSIONS_PER_CLIENT = 100;
/** Seconds a client is told to wait when every session is busy. */
const BUSY_RETRY_AFTER_S = "5";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });

function hostName(hostHeader: string): string {
  return hostHeader.startsWith("[") ? hostHeader.slice(0, hostHeader.indexOf("]") + 1) : hostHeader.split(":")[0]!;
}

/** Who opened a session, as far as the server can tell (the bearer token is one for all clients). */
function clientOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? ""} ${(req.headers["user-agent"] ?? "").slice(0, 256)}`;
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^bearer[ \t]+(.*?)[ \t]*$/i)?.[1];
}

export function createRequestGuard(config: Pick<Config, "host" | "httpToken" | "allowedHosts" | "allowedOrigins">) {
  // Digests have one length, so the timing-safe compare does not reveal the token's length either.
  const token = config.httpToken ? digest(config.httpToken) : undefined;
  const allowedHosts = new Set(["localhost", "127.0.0.1", "[::1]", ...config.allowedHosts.map((h) => hostName(h.toLowerCase()))]);
  if (isLoopback(config.host)) allowedHosts.add(config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host);
  // A non-loopback bind is protected by its token; Host is then checked only if the operator listed hosts.
  const checkHost = isLoopback(config.host) || config.allowedHosts.length > 0;
  const allowedOrigins = new Set(config.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, "")));

  /** Host and Origin are always checked; the token too unless tokenOptional (a health check). */
  const guard = (req: IncomingMessage, options: { tokenOptional?: boolean } = {}): void => {
    const host = (req.headers.host ?? "").toLowerCase();
    if (checkHost && !allowedHosts.has(hostName(host))) throw new HttpError(403, `Host ${JSON.stringify(host)} is not allowed (DNS rebinding protection). Use --allowed-hosts to add it.`);
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
    if (options.tokenOptional) return;
    if (!isAuthorized(req)) throw new HttpError(401, "Missing or wrong bearer token.", { "www-authenticate": 'Bearer realm="clari-mcp"' });
  };

  function isAuthorized(req: IncomingMessage): boolean {
    if (!token) return true;
    const given = bearerToken(req.headers.authorization);
    return given !== undefined && timingSafeEqual(digest(given), token);
  }
  return Object.assign(guard, { isAuthorized });
}

async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
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
    throw new HttpError(400, "PARSE_ERROR");
  }
}

export async function startHttp(deps: Deps, config: Config): Promise<HttpHandle> {
  const guard = createRequestGuard(config);
  const sessions = new SessionTable<Session>(MAX_SESSIONS, MAX_SESSIONS_PER_CLIENT);

  async function handleStateless(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const server = createServer(deps);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handleStateful(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = sessions.get(sessionId);
      if (!session) return sendJson(res, 404, rpcError(-32001, "Session not found; initialize a new session."));
      sessions.touch(sessionId, session);
      // A busy session (answering, or streaming to the client) is never evicted.
      const stream = req.method === "GET";
      if (stream) session.openStreams += 1;
      else session.inFlight += 1;
      res.on("close", () => {
        if (stream) session.openStreams -= 1;
        else session.inFlight -= 1;
        sessions.touch(sessionId, session);
      });
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return sendJson(res, 400, rpcError(-32000, "Bad request: no session id; the first request must be initialize."));
    }
    const client = clientOf(req);
    if (!sessions.admit(client)) {
      return sendJson(res, 503, rpcError(-32000, "Every session is busy; close unused ones (DELETE) or retry later."), { "retry-after": BUSY_RETRY_AFTER_S });
    }
    let added = false;
    try {
      await openSession(req, res, body, client, () => (added = true));
    } finally {
      if (!added) sessions.release(client);
    }
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown, client: string, onAdded: () => void): Promise<void> {
    const server = createServer(deps);
    let session: Session | undefined;
    let answered = false;
    res.on("close", () => {
      answered = true;
      if (!session || !transport.sessionId) return;
      session.inFlight -= 1;
      sessions.touch(transport.sessionId, session);
    });
    let closed = false;
    // Ending a session (DELETE, transport close, idle expiry) releases its McpServer once.
    const end = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      if (transport.sessionId) sessions.delete(transport.sessionId);
      await server.close().catch(() => undefined);
    };
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        // The initialize itself is in flight until its answer is sent.
        session = { transport, client, lastSeen: Date.now(), inFlight: answered ? 0 : 1, openStreams: 0, close: end };
        sessions.add(id, session);
        onAdded();
      },
      onsessionclosed: () => end(),
    });
    transport.onclose = () => void end();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // The SDK refused the initialize (e.g. wrong Accept): no session exists to end it later.
    if (!transport.sessionId) await end();
  }

  const httpServer = createHttpServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://localhost");
        // A load balancer's or the image's health check has no token: it learns only that the server is up.
        if (url.pathname === "/healthz") {
          guard(req, { tokenOptional: true });
          return sendJson(res, 200, { status: "ok", version: VERSION, ...(guard.isAuthorized(req) ? { sessions: sessions.size } : {}) });
        }
        guard(req);
        if (url.pathname !== "/mcp") return sendJson(res, 404, { error: "Not found: the MCP endpoint is /mcp." });
        if (!["POST", "GET", "DELETE"].includes(req.method ?? "")) return sendJson(res, 405, rpcError(-32000, "Method not allowed."), { allow: "GET, POST, DELETE" });
        const body = req.method === "POST" ? await readJsonBody(req, config.maxBodyBytes) : undefined;
        if (config.stateless) {
          if (req.method !== "POST") return sendJson(res, 405, rpcError(-32000, "Stateless mode accepts POST only."), { allow: "POST" });
          return await handleStateless(req, res, body);
        }
        return await handleStateful(req, res, body);
      } catch (error) {
        if (error instanceof HttpError) {
          if (error.message === "PARSE_ERROR") return sendJson(res, 400, rpcError(-32700, "Parse error: the body is not valid JSON."));
          return sendJson(res, error.status, rpcError(-32000, error.message), error.headers);
        }
        deps.logger.error(`HTTP request failed: ${(error as Error).message}`);
        return sendJson(res, 500, rpcError(-32603, "Internal error."));
      }
    })();
  });
  httpServer.requestTimeout = 120_000;
  const sweep = setInterval(() => sessions.sweep(Date.now() - SESSION_IDLE_MS), 60_000);
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}/mcp`;
  deps.logger.info(`serving MCP over Streamable HTTP at ${url}${config.stateless ? " (stateless)" : ""}${config.httpToken ? " (bearer token required)" : ""}`);

  return {
    url,
    port,
    async close() {
      clearInterval(sweep);
      await sessions.closeAll();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
