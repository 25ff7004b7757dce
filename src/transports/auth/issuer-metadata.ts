/**
 * The authorization server's metadata, discovered once at start-up the way the MCP authorization
 * spec tells clients to: RFC 8414 (`/.well-known/oauth-authorization-server`, inserted before the
 * issuer's path) first, then OpenID Connect Discovery (`/.well-known/openid-configuration`,
 * inserted, then appended). The document must name the configured issuer exactly (RFC 8414 §3.3);
 * from it come the signing keys' location (jwks_uri) and the introspection endpoint.
 */
import { z } from "zod";

export interface IssuerMetadata {
  issuer: string;
  /** Where the issuer's signing keys are published (JWT access tokens). */
  jwksUri: string | undefined;
  /** RFC 7662 endpoint (opaque access tokens). */
  introspectionEndpoint: string | undefined;
  introspectionAuthMethods: string[] | undefined;
  /** Which document answered (for the start-up log line). */
  discoveredAt: string;
}

const metadataSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.url().optional(),
  introspection_endpoint: z.url().optional(),
  introspection_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});

export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
}

/** The discovery URLs for an issuer, in the order the MCP spec gives them. */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, "");
  const at = (p: string) => new URL(p, url.origin).href;
  if (path === "") return [at("/.well-known/oauth-authorization-server"), at("/.well-known/openid-configuration")];
  return [at(`/.well-known/oauth-authorization-server${path}`), at(`/.well-known/openid-configuration${path}`), at(`${path}/.well-known/openid-configuration`)];
}

export async function discoverIssuer(issuer: string, options: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<IssuerMetadata> {
  const doFetch = options.fetch ?? fetch;
  const tried: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    let response: Response;
    try {
      response = await doFetch(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    } catch (error) {
      tried.push(`${url}: ${(error as Error).name === "TimeoutError" ? "timed out" : ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      tried.push(`${url}: HTTP ${response.status}`);
      continue;
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      tried.push(`${url}: not JSON`);
      continue;
    }
    const parsed = metadataSchema.safeParse(body);
    if (!parsed.success) {
      tried.push(`${url}: not authorization server metadata`);
      continue;
    }
    const metadata = parsed.data;
    if (metadata.issuer !== issuer) {
      throw new DiscoveryError(`The authorization server metadata at ${url} names the issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}: give --oauth-issuer exactly as the server states it.`);
    }
    return {
      issuer,
      jwksUri: metadata.jwks_uri,
      introspectionEndpoint: metadata.introspection_endpoint,
      introspectionAuthMethods: metadata.introspection_endpoint_auth_methods_supported,
      discoveredAt: url,
    };
  }
  throw new DiscoveryError(`No authorization server metadata found for ${issuer} (${tried.join("; ")}).`);
}
