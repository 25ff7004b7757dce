/**
 * Access tokens from the team's authorization server, checked with jose (never parsed by hand):
 * - a JWT access token (RFC 9068 and the common IdP formats) is verified against the issuer's
 *   published keys (createRemoteJWKSet: fetched once, cached, fetched again when a token names a
 *   key id it does not know, at most once per cooldown), its issuer, its audience (this server's
 *   resource URL per RFC 8707, or an --oauth-audience value), and not-before/issued-at with a small
 *   clock skew; expiry is checked exactly by the SDK's verifyBearerToken;
 * - any other (opaque) token is sent to the issuer's RFC 7662 introspection endpoint when one is
 *   configured, and is held to the same issuer and audience; an active answer is remembered for at
 *   most a minute (and never past the token's expiry), keyed by the token's SHA-256.
 *
 * The result is the SDK's AuthInfo: `clientId` is the caller's stable id (the token's subject at
 * its issuer, never the token), `scopes` this server's permissions (src/config/scopes.ts) the token grants,
 * `extra` the person's email and name when the token has them. `token` stays empty: nothing past
 * this point needs the credential. A refused token throws OAuthError(invalid_token) whose
 * description says what was wrong, never what the token was.
 */
import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { OAuthError, OAuthErrorCode, type AuthInfo, type OAuthTokenVerifier } from "@modelcontextprotocol/server";
import type { Logger } from "../../logger.js";
import { SCOPES, withImplied, type Scope } from "../../config/scopes.js";
import type { IssuerMetadata } from "./issuer-metadata.js";
import type { OAuthSettings, ScopeNames } from "../../config/oauth.js";

/** Seconds an authorization server's clock may be ahead of ours (not-before, issued-at). */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** After a key fetch, how long before a token naming an unknown key id may cause another (jose's default is 30 s). */
export const JWKS_COOLDOWN_MS = 5_000;
/** Keys are fetched again after this long even when every token names a known key. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** An active introspection answer is trusted this long (bounded by the token's own expiry). */
const INTROSPECTION_CACHE_MS = 60_000;
const INTROSPECTION_CACHE_ENTRIES = 10_000;
/** Asymmetric signatures only: an issuer's published keys are public keys. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** A subject goes into log lines and ownership records: printable ASCII, as OpenID Connect's 255 characters. */
const SUBJECT = /^[\x21-\x7e]{1,255}$/;

export interface TokenVerifier extends OAuthTokenVerifier {
  /** Fetches the issuer's keys now (start-up), so a wrong jwks_uri stops the server instead of every request. */
  warm(): Promise<void>;
}

/** The caller's stable id: the subject at its issuer (`sub@issuer-without-scheme`). Never contains the token. */
export function callerId(issuer: string, subject: string): string {
  return `${subject}@${issuer.replace(/^https?:\/\//, "").replace(/\/+$/, "")}`;
}

/** The values of the configured claims: a space-separated string, or an array of strings. */
function grantedValues(claims: Record<string, unknown>, names: ScopeNames): Set<string> {
  const values = new Set<string>();
  for (const claim of names.claims) {
    const value = claims[claim];
    if (typeof value === "string") for (const v of value.split(" ")) if (v) values.add(v);
    if (Array.isArray(value)) for (const v of value) if (typeof v === "string") values.add(v);
  }
  return values;
}

/** This server's permissions granted by the token's claims, with what they imply. */
export function scopesOf(claims: Record<string, unknown>, names: ScopeNames): Scope[] {
  const values = grantedValues(claims, names);
  return withImplied(SCOPES.filter((s) => names.granted[s] === "*" || values.has(names.granted[s])));
}

const invalid = (description: string) => new OAuthError(OAuthErrorCode.InvalidToken, description);

/** What went wrong with a JWT, in words for the client; never the token. */
function describeJoseError(error: unknown): OAuthError {
  if (error instanceof errors.JWTExpired) return invalid("The access token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return invalid("The access token was issued by another authorization server.");
    if (error.claim === "aud") return invalid("The access token was not issued for this server (audience).");
    if (error.claim === "nbf") return invalid("The access token is not valid yet.");
    return invalid(`The access token's ${error.claim} claim is not acceptable.`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("The access token's signature does not verify.");
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("The access token is signed with a key the authorization server does not publish.");
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid("The access token's signature algorithm is not accepted.");
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof TypeError && /fetch/i.test(error.message))) {
    return new OAuthError(OAuthErrorCode.ServerError, "The authorization server's signing keys cannot be fetched right now.");
  }
  if (error instanceof errors.JOSEError) return invalid("The access token is not a valid JWT.");
  return new OAuthError(OAuthErrorCode.ServerError, "The access token could not be checked.");
}

function audiencesOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function createTokenVerifier(settings: OAuthSettings, metadata: IssuerMetadata, logger: Logger, options: { fetch?: typeof fetch } = {}): TokenVerifier {
  const resourceUrl = new URL(settings.resource);
  // A bare origin is also accepted with the slash URL parsers add to it.
  const audiences = resourceUrl.pathname === "/" ? [...settings.audiences, `${settings.resource}/`] : settings.audiences;
  const jwks = metadata.jwksUri ? createRemoteJWKSet(new URL(metadata.jwksUri), { cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS, timeoutDuration: 5_000 }) : undefined;
  const doFetch = options.fetch ?? fetch;
  const introspected = new Map<string, { authInfo: AuthInfo; until: number }>();
  /** Introspections under way, by token hash: concurrent requests with one token ask once. */
  const asking = new Map<string, Promise<AuthInfo>>();

  function authInfoFrom(claims: Record<string, unknown>, via: "jwt" | "introspection"): AuthInfo {
    // A client acting for itself (client credentials) may carry no subject: the client is the caller.
    const subject = claims.sub ?? claims.client_id;
    if (typeof subject !== "string" || !SUBJECT.test(subject)) throw invalid("The access token names no usable subject (sub).");
    if (typeof claims.exp !== "number") throw invalid("The access token has no expiry (exp).");
    const extra: Record<string, unknown> = { issuer: settings.issuer, subject, via };
    for (const claim of ["email", "name", "preferred_username"] as const) {
      const value = claims[claim];
      if (typeof value === "string" && value.length <= 256) extra[claim] = value;
    }
    const client = claims.client_id ?? claims.azp;
    if (typeof client === "string" && client.length <= 512) extra.clientId = client;
    return { token: "", clientId: callerId(settings.issuer, subject), scopes: scopesOf(claims, settings.scopeNames), expiresAt: claims.exp, resource: resourceUrl, extra };
  }

  async function verifyJwt(token: string): Promise<AuthInfo> {
    if (!jwks) throw invalid("JWT access tokens are not accepted: the authorization server publishes no signing keys (jwks_uri).");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: settings.issuer, audience: audiences, clockTolerance: CLOCK_TOLERANCE_SECONDS, algorithms: ALGORITHMS }));
    } catch (error) {
      const refused = describeJoseError(error);
      if (refused.code === OAuthErrorCode.ServerError) logger.warn(`access token check failed: ${(error as Error).message}`);
      else logger.debug(`access token refused: ${refused.message}`);
      throw refused;
    }
    return authInfoFrom(payload as Record<string, unknown>, "jwt");
  }

  async function introspect(token: string): Promise<AuthInfo> {
    if (!metadata.introspectionEndpoint || !settings.introspectionClient) throw invalid("The access token is not a JWT, and opaque tokens cannot be checked here (no introspection configured).");
    const key = createHash("sha256").update(token).digest("base64url");
    const cached = introspected.get(key);
    if (cached && cached.until > Date.now()) return cached.authInfo;
    if (cached) introspected.delete(key);
    let pending = asking.get(key);
    if (!pending) {
      pending = askIssuer(token, key, metadata.introspectionEndpoint, settings.introspectionClient).finally(() => asking.delete(key));
      asking.set(key, pending);
    }
    return pending;
  }

  async function askIssuer(token: string, key: string, endpoint: string, client: { clientId: string; clientSecret: string }): Promise<AuthInfo> {

    const form = new URLSearchParams({ token, token_type_hint: "access_token" });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    const methods = metadata.introspectionAuthMethods;
    if (methods && !methods.includes("client_secret_basic") && methods.includes("client_secret_post")) {
      form.set("client_id", client.clientId);
      form.set("client_secret", client.clientSecret);
    } else {
      // RFC 6749 §2.3.1: each part form-encoded, then base64 of "id:secret".
      const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
      headers.authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString("base64")}`;
    }
    let answer: Record<string, unknown>;
    try {
      const response = await doFetch(endpoint, { method: "POST", headers, body: form, redirect: "error", signal: AbortSignal.timeout(5_000) });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        logger.warn(`token introspection answered HTTP ${response.status}`);
        throw new OAuthError(OAuthErrorCode.ServerError, "The authorization server's introspection endpoint refused to answer.");
      }
      answer = (await response.json()) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      logger.warn(`token introspection failed: ${(error as Error).name}`);
      throw new OAuthError(OAuthErrorCode.ServerError, "The authorization server's introspection endpoint cannot be reached right now.");
    }
    if (typeof answer !== "object" || answer === null || answer.active !== true) throw invalid("The access token is not active.");
    if (answer.iss !== undefined && answer.iss !== settings.issuer) throw invalid("The access token was issued by another authorization server.");
    if (!audiencesOf(answer.aud).some((a) => audiences.includes(a))) throw invalid("The access token was not issued for this server (audience).");
    if (typeof answer.nbf === "number" && answer.nbf > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw invalid("The access token is not valid yet.");
    const authInfo = authInfoFrom(answer, "introspection");
    const until = Math.min(Date.now() + INTROSPECTION_CACHE_MS, (authInfo.expiresAt ?? 0) * 1000);
    if (until > Date.now()) {
      if (introspected.size >= INTROSPECTION_CACHE_ENTRIES) introspected.delete(introspected.keys().next().value as string);
      introspected.set(key, { authInfo, until });
    }
    return authInfo;
  }

  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      // A signed JWT (an encrypted one, with "enc", cannot be read here); anything else is opaque.
      let isJws = false;
      try {
        const header = decodeProtectedHeader(token);
        isJws = typeof header.alg === "string" && header.enc === undefined;
      } catch {
        isJws = false;
      }
      return isJws ? verifyJwt(token) : introspect(token);
    },
    async warm() {
      await jwks?.reload();
    },
  };
}
