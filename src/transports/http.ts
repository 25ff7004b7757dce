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

export interface HttpHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What the SDK's handlers learn of the caller: the token's name, never the token. */
function authInfoOf(tokenName: string): AuthInfo {
  return { token: "", clientId: tokenName, scopes: [] };
}

export async function startHttp(deps: Deps, config: Config): Promise<HttpHandle> {
  const guard = createRequestGuard(config);
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

  async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, tokenName: string | undefined): Promise<void> {
    if (!["POST", "GET", "DELETE"].includes(req.method ?? "")) return sendJson(res, 405, rpcError(-32000, "Method not allowed."), { allow: "GET, POST, DELETE" });
    const body = req.method === "POST" ? await readJsonBody(req, config.maxBodyBytes) : undefined;
    const id = requestIdOf(body);
    try {
      if (tokenName !== undefined) req.auth = authInfoOf(tokenName);
      const legacy = await isLegacyRequest(await toWebRequest(req, body), body, { maxRequestBodySize: config.maxBodyBytes });
      if (legacy && sessions) return await sessions.handle(req, res, body, tokenName);
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
        // A load balancer's or the image's health check has no token: it learns only that the server is up.
        if (url.pathname === "/healthz") {
          guard(req, { tokenOptional: true });
          return sendJson(res, 200, { status: "ok", version: VERSION, ...(sessions && guard.isAuthorized(req) ? { sessions: sessions.size } : {}) });
        }
        const { tokenName } = guard(req);
        if (url.pathname !== "/mcp") return sendJson(res, 404, { error: "Not found: the MCP endpoint is /mcp." });
        // Every line logged while serving this request names the token it came with.
        await withLogLabel(tokenName === undefined ? undefined : `token ${tokenName}`, () => handleMcp(req, res, tokenName));
      } catch (error) {
        if (error instanceof HttpError) return sendJson(res, error.status, rpcError(error.code, error.message), error.headers);
        deps.logger.error(`HTTP request failed: ${(error as Error).message}`);
        return sendJson(res, 500, rpcError(-32603, "Internal error."));
      }
    })();
  });
  httpServer.requestTimeout = 120_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}/mcp`;
  const tokens = config.httpTokens.length;
  deps.logger.info(`serving MCP over Streamable HTTP at ${url}${config.stateless ? " (stateless)" : ""}${tokens ? ` (bearer token required: ${config.httpTokens.map((t) => t.name).join(", ")})` : ""}`);

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
