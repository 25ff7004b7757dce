/**
 * Streamable HTTP on node:http, serving both protocol eras on one endpoint (/mcp):
 * - 2026-07-28 requests (the client's identity and protocol version in each request's `_meta`;
 *   server/discover, no initialize, no session) go to the SDK's createMcpHandler, which builds a
 *   server per request and validates MCP-Protocol-Version, Mcp-Method and Mcp-Name itself;
 * - 2025-era requests go to sessions (legacy-sessions.ts), or with --stateless to the SDK's
 *   stateless serving, a server per request, so any replica can answer any request.
 * The SDK's own routing predicate (isLegacyRequest) decides, so the two never disagree. In front
 * of both sits our guard (http-guard.ts): Host/Origin, bearer token, body limit, JSON parsing.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler, toWebRequest } from "@modelcontextprotocol/node";
import { createMcpHandler, isLegacyRequest, type AuthInfo, type McpRequestContext } from "@modelcontextprotocol/server";
import type { Config } from "../config.js";
import type { Deps } from "../deps.js";
import { withLogLabel } from "../logger.js";
import { createServer } from "../server.js";
import { VERSION } from "../version.js";
import { createRequestGuard, HttpError, readJsonBody, requestIdOf, rpcError, sendJson } from "./http-guard.js";
import { createLegacySessions } from "./legacy-sessions.js";
import { SCOPES } from "../config/scopes.js";
import { METADATA_PATH } from "../config/oauth.js";

/** How long an idle keep-alive connection is kept open: longer than nginx's and AWS ALB's default 60 s. */
const KEEP_ALIVE_MS = 65_000;

export interface HttpHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Who a request is from: what the SDK's handlers learn (`authInfo`), and the label of its log lines. */
interface Caller {
  authInfo: AuthInfo | undefined;
  label: string | undefined;
}

/** A static bearer token: its name, never the token, and what it may do (everything, unless its entry names permissions). */
function staticCaller(tokenName: string, config: Pick<Config, "httpTokens">): Caller {
  const scopes = config.httpTokens.find((t) => t.name === tokenName)?.scopes ?? SCOPES;
  return { authInfo: { token: "", clientId: tokenName, scopes: [...scopes] }, label: `token ${tokenName}` };
}

export async function startHttp(deps: Deps, config: Config): Promise<HttpHandle> {
  const guard = createRequestGuard(config);
  // jose and the token checks load only when people sign in.
  const oauth = config.oauth ? await (await import("./auth/resource-server.js")).startResourceServer(config.oauth, deps.logger) : undefined;

  /** The caller, or an HttpError: a static token first (cheap), then a signed-in person's access token. */
  async function identify(req: IncomingMessage): Promise<Caller> {
    if (!oauth) {
      const { tokenName } = guard(req);
      return tokenName === undefined ? { authInfo: undefined, label: undefined } : staticCaller(tokenName, config);
    }
    guard(req, { tokenOptional: true });
    const name = guard.staticTokenName(req);
    if (name !== null) return staticCaller(name, config);
    const result = await oauth.authenticate(req.headers.authorization);
    if ("status" in result) throw new HttpError(result.status, result.message, result.headers);
    return { authInfo: result, label: `user ${result.clientId}` };
  }
  const sessions = config.stateless ? undefined : createLegacySessions(deps);
  let shuttingDown = false;

  // One factory for both eras. A 2026 server lives for one request: its connection closing is the
  // client cancelling, and store changes reach 2026 clients through the handler's bus below.
  const factory = ({ era }: McpRequestContext) => (era === "modern" ? createServer(deps, { perRequest: { shuttingDown: () => shuttingDown } }) : createServer(deps));
  const handler = createMcpHandler(factory, {
    legacy: config.stateless ? "stateless" : "reject",
    maxRequestBodySize: config.maxBodyBytes,
    onerror: (error) => deps.logger.debug(`MCP HTTP: ${error.message}`),
  });
  const perRequest = toNodeHandler(handler, { maxRequestBodySize: config.maxBodyBytes, onerror: (error) => deps.logger.error(`HTTP request failed: ${error.message}`) });
  const unsubscribe = deps.store.onChange(() => handler.notify.resourcesChanged());

  async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, authInfo: AuthInfo | undefined): Promise<void> {
    if (!["POST", "GET", "DELETE"].includes(req.method ?? "")) return sendJson(res, 405, rpcError(-32000, "Method not allowed."), { allow: "GET, POST, DELETE" });
    const body = req.method === "POST" ? await readJsonBody(req, config.maxBodyBytes) : undefined;
    const id = requestIdOf(body);
    try {
      if (authInfo !== undefined) req.auth = authInfo;
      const legacy = await isLegacyRequest(await toWebRequest(req, body), body, { maxRequestBodySize: config.maxBodyBytes });
      if (legacy && sessions) return await sessions.handle(req, res, body, authInfo?.clientId);
      if (config.stateless && req.method !== "POST") return sendJson(res, 405, rpcError(-32000, "Stateless mode accepts POST only.", id), { allow: "POST" });
      return await perRequest(req, res, body);
    } catch (error) {
      deps.logger.error(`HTTP request failed: ${(error as Error).message}`);
      return sendJson(res, 500, rpcError(-32603, "Internal error.", id));
    }
  }

  const httpServer = createHttpServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://localhost");
        // RFC 9728 metadata is public: clients read it before they have a token.
        if (url.pathname.startsWith(METADATA_PATH)) {
          if (oauth?.isMetadataPath(url.pathname)) return oauth.serveMetadata(req, res);
          return sendJson(res, 404, { error: oauth ? "Not found." : "Not found: this server does not use OAuth sign-in." });
        }
        // A load balancer's or the image's health check has no token: it learns only that the server is up.
        if (url.pathname === "/healthz") {
          guard(req, { tokenOptional: true });
          const insider = oauth ? guard.staticTokenName(req) !== null : guard.isAuthorized(req);
          return sendJson(res, 200, { status: "ok", version: VERSION, ...(sessions && insider ? { sessions: sessions.size } : {}) });
        }
        const caller = await identify(req);
        if (url.pathname !== "/mcp") return sendJson(res, 404, { error: "Not found: the MCP endpoint is /mcp." });
        // Every line logged while serving this request names the caller (token name or signed-in person).
        await withLogLabel(caller.label, () => handleMcp(req, res, caller.authInfo));
      } catch (error) {
        if (error instanceof HttpError) return sendJson(res, error.status, rpcError(error.code, error.message), error.headers);
        deps.logger.error(`HTTP request failed: ${(error as Error).message}`);
        return sendJson(res, 500, rpcError(-32603, "Internal error."));
      }
    })();
  });
  httpServer.requestTimeout = 120_000;
  // An idle keep-alive connection outlives a load balancer's (nginx's and AWS ALB's default is 60 s):
  // at Node's default 5 s the server closed connections the balancer still held, and the request it
  // then sent on one was reset (a 502 to the client; seen behind the replicas' proxy).
  httpServer.keepAliveTimeout = KEEP_ALIVE_MS;

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}/mcp`;
  const tokens = config.httpTokens.length;
  const names = config.httpTokens.map((t) => t.name).join(", ");
  const access = oauth ? ` (sign-in with ${config.oauth?.issuer}${tokens ? `, or a bearer token: ${names}` : ""})` : tokens ? ` (bearer token required: ${names})` : "";
  deps.logger.info(`serving MCP over Streamable HTTP at ${url}${config.stateless ? " (stateless)" : ""}${access}`);

  return {
    url,
    port,
    async close() {
      shuttingDown = true;
      unsubscribe();
      await sessions?.closeAll();
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
