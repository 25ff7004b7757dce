/**
 * The OAuth 2.1 resource server in front of /mcp (the MCP authorization spec, 2025-11-25 and
 * 2026-07-28), built from the SDK's helpers:
 * - Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and its
 *   path-suffixed form (`.../mcp`), served to anyone: the document is public by design;
 * - a request without a token is answered 401 `WWW-Authenticate: Bearer resource_metadata="…",
 *   scope="…"` (no error code, RFC 6750 §3.1), a refused token 401 with `error="invalid_token"`
 *   (the SDK's verifyBearerToken and bearerAuthChallengeResponse); a token lacking a permission is
 *   refused per operation with 403 `insufficient_scope` (src/tools/kit/scope-gate.ts);
 * - the issuer's metadata is discovered and its keys fetched at start, so a wrong issuer stops the
 *   server instead of refusing everyone later.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  OAuthError,
  verifyBearerToken,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
} from "@modelcontextprotocol/server";
import type { Logger } from "../../logger.js";
import { SCOPES } from "../../config/scopes.js";
import { discoverIssuer, type IssuerMetadata } from "./issuer-metadata.js";
import { METADATA_PATH, type OAuthSettings } from "../../config/oauth.js";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.js";

/** A refusal to send: status, headers (the WWW-Authenticate challenge) and a description. */
export interface Refusal {
  status: number;
  headers: Record<string, string>;
  message: string;
}

export interface ResourceServer {
  readonly metadataUrl: string;
  readonly metadata: OAuthProtectedResourceMetadata;
  readonly issuer: IssuerMetadata;
  /** True for the paths the metadata is served at. */
  isMetadataPath(pathname: string): boolean;
  serveMetadata(req: IncomingMessage, res: ServerResponse): void;
  /** The caller of a request carrying this Authorization header value, or the refusal to answer with. */
  authenticate(authorization: string | undefined): Promise<AuthInfo | Refusal>;
}

export async function startResourceServer(settings: OAuthSettings, logger: Logger, options: { fetch?: typeof fetch } = {}): Promise<ResourceServer> {
  const issuer = await discoverIssuer(settings.issuer, options);
  if (!issuer.jwksUri && !(issuer.introspectionEndpoint && settings.introspectionClient)) {
    throw new Error(`The authorization server ${settings.issuer} publishes no signing keys (jwks_uri)${issuer.introspectionEndpoint ? "; give --oauth-introspection-client to check its tokens by introspection" : " and offers no introspection"}: its tokens cannot be checked.`);
  }
  const verifier: TokenVerifier = createTokenVerifier(settings, issuer, logger, options);
  try {
    await verifier.warm();
  } catch (error) {
    throw new Error(`The authorization server's signing keys (${issuer.jwksUri}) cannot be fetched: ${(error as Error).message}`);
  }
  if (settings.introspectionClient && !issuer.introspectionEndpoint) logger.warn(`--oauth-introspection-client is set but ${settings.issuer} offers no introspection endpoint: opaque tokens will be refused.`);

  const resourceUrl = new URL(settings.resource);
  const metadataUrl = getOAuthProtectedResourceMetadataUrl(resourceUrl);
  const scopesSupported = SCOPES.map((s) => settings.scopeNames.requested[s]).filter((s): s is string => s !== undefined);
  const metadata: OAuthProtectedResourceMetadata = {
    // The SDK's builder checks the issuer URL (https outside loopback); the resource is the canonical form, without the slash URL parsing adds to a bare origin.
    ...buildOAuthProtectedResourceMetadata({ oauthMetadata: { issuer: settings.issuer } as OAuthMetadata, resourceServerUrl: resourceUrl, scopesSupported, resourceName: "Clari (clari-mcp)" }),
    resource: settings.resource,
    bearer_methods_supported: ["header"],
  };
  const body = JSON.stringify(metadata);
  const paths = new Set([METADATA_PATH, new URL(metadataUrl).pathname, `${METADATA_PATH}/mcp`]);
  // No token: where to find the metadata, and every scope a person may be granted (the IdP grants what its policy allows).
  const missingChallenge = `Bearer resource_metadata="${metadataUrl}"${scopesSupported.length ? `, scope="${scopesSupported.join(" ")}"` : ""}`;
  logger.info(`OAuth: accepting tokens from ${settings.issuer} for ${settings.resource} (metadata from ${issuer.discoveredAt}${issuer.introspectionEndpoint && settings.introspectionClient ? "; opaque tokens by introspection" : ""})`);

  function refusal(error: unknown): Refusal {
    const response = bearerAuthChallengeResponse(error, { resourceMetadataUrl: metadataUrl });
    const challenge = response.headers.get("www-authenticate");
    const message = error instanceof OAuthError ? error.message : "The access token could not be checked.";
    return { status: response.status, headers: challenge ? { "www-authenticate": challenge } : {}, message };
  }

  return {
    metadataUrl,
    metadata,
    issuer,
    isMetadataPath: (pathname) => paths.has(pathname.replace(/\/+$/, "")),
    serveMetadata(req, res) {
      const cors = { "access-control-allow-origin": "*" };
      if (req.method === "OPTIONS") {
        res.writeHead(204, { ...cors, "access-control-allow-methods": "GET, HEAD, OPTIONS", ...(req.headers["access-control-request-headers"] ? { "access-control-allow-headers": req.headers["access-control-request-headers"] } : {}) });
        return void res.end();
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { ...cors, allow: "GET, HEAD, OPTIONS", "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: "method_not_allowed" }));
      }
      res.writeHead(200, { ...cors, "content-type": "application/json", "cache-control": "public, max-age=3600" });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    async authenticate(authorization) {
      // No credentials at all: the discovery challenge, without an error code.
      if (!authorization || !/^bearer[ \t]/i.test(authorization)) {
        return { status: 401, headers: { "www-authenticate": missingChallenge }, message: "Sign-in required: send an access token from the authorization server named in the resource metadata." };
      }
      try {
        // The SDK splits the header on one space: give it the canonical form.
        return await verifyBearerToken(`Bearer ${authorization.replace(/^bearer[ \t]+/i, "").trim()}`, { verifier, resourceMetadataUrl: metadataUrl, expectedResource: resourceUrl });
      } catch (error) {
        if (!(error instanceof OAuthError)) logger.warn(`access token check failed: ${(error as Error).message}`);
        return refusal(error);
      }
    },
  };
}
