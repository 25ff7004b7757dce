/**
 * The OAuth 2.1 resource server's settings, checked once at start-up. src/config.ts reads the
 * flags and environment and hands their values here; this module reads the two files they may
 * name (the introspection client's credentials, the scope mapping) and validates everything, so
 * a mistake stops the server before it serves anything.
 */
import { readFileSync } from "node:fs";
import { SCOPES, type Scope } from "./scopes.js";

export interface OAuthSettings {
  /** The authorization server's issuer identifier, exactly as configured (tokens' `iss` must equal it). */
  issuer: string;
  /** This server's canonical resource URL (RFC 8707 / RFC 9728 `resource`): the audience tokens must carry. */
  resource: string;
  /** Every accepted `aud` value: the resource URL and any --oauth-audience values. */
  audiences: string[];
  /** Client credentials for RFC 7662 introspection of opaque tokens; undefined = opaque tokens refused. */
  introspectionClient: { clientId: string; clientSecret: string } | undefined;
  scopeNames: ScopeNames;
}

/** How this server's permissions (src/config/scopes.ts) are spelled at the identity provider. */
export interface ScopeNames {
  /** The value standing for each permission in a token's claims; "*" = every valid token has it. */
  granted: Record<Scope, string>;
  /** What a client asks for to get each permission (undefined for "*" entries: nothing to ask for). */
  requested: Record<Scope, string | undefined>;
  /** The token claims (or introspection fields) holding granted values: a space-separated string or an array of strings. */
  claims: string[];
}

/** Where RFC 9728 Protected Resource Metadata is served (and, suffixed with the resource's path, its path-aware form). */
export const METADATA_PATH = "/.well-known/oauth-protected-resource";

export class OAuthConfigError extends Error {
  override readonly name = "OAuthConfigError";
}

/** The names used when no --oauth-scopes-file is given. */
export const DEFAULT_SCOPE_NAMES: ScopeNames = {
  granted: Object.fromEntries(SCOPES.map((s) => [s, `clari:${s}`])) as Record<Scope, string>,
  requested: Object.fromEntries(SCOPES.map((s) => [s, `clari:${s}`])) as Record<Scope, string>,
  claims: ["scope", "scp"],
};

/** An OAuth scope-token (RFC 6749 §3.3): printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

const isLoopbackHost = (host: string): boolean => host === "localhost" || host === "[::1]" || /^127\./.test(host);

/** An absolute http(s) URL without query or fragment; https unless the host is loopback. */
function checkedUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OAuthConfigError(`${name} is not a URL (got ${JSON.stringify(value)}).`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OAuthConfigError(`${name} must be an https:// URL (got ${JSON.stringify(value)}).`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) throw new OAuthConfigError(`${name} must use https (plain http only for a loopback address, for testing).`);
  if (url.search || url.hash || value.includes("#")) throw new OAuthConfigError(`${name} must not have a query or fragment (got ${JSON.stringify(value)}).`);
  if (url.username || url.password) throw new OAuthConfigError(`${name} must not carry a user name or password.`);
  return url;
}

/** The canonical form of the resource URL: as given, without a trailing slash (RFC 8707 §2; the MCP spec's canonical server URI). */
export function canonicalResource(url: URL): string {
  return url.href.replace(/\/+$/, "");
}

function readFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new OAuthConfigError(`${flag} ${JSON.stringify(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
  }
}

/** `{"client_id": "...", "client_secret": "..."}` (RFC 7591's names). The secret is never echoed. */
export function parseIntrospectionClient(text: string, where: string): { clientId: string; clientSecret: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OAuthConfigError(`${where}: not JSON; expected {"client_id": "...", "client_secret": "..."}.`);
  }
  const { client_id: clientId, client_secret: clientSecret } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof clientId !== "string" || !/^[\x21-\x7e]{1,512}$/.test(clientId)) throw new OAuthConfigError(`${where}: client_id must be a non-empty string of printable ASCII characters.`);
  if (typeof clientSecret !== "string" || !/^[\x21-\x7e]{8,4096}$/.test(clientSecret)) throw new OAuthConfigError(`${where}: client_secret must be at least 8 printable ASCII characters, no spaces.`);
  return { clientId, clientSecret };
}

/**
 * The scope mapping file, JSON:
 * `{"read": "Clari.Read", "export": "Clari.Export", ..., "requestPrefix": "api://<app id>/", "claims": ["scp"]}`.
 * Each permission left out keeps its default name (`clari:<permission>`); `"*"` grants it to every
 * valid token; `requestPrefix` is put before each name a client asks for (Entra ID asks for
 * `api://<app id>/Clari.Read` and puts `Clari.Read` in the token); `claims` names where granted
 * values are read (default `scope` and `scp`; e.g. add `roles` or `permissions`).
 */
export function parseScopeNames(text: string, where: string): ScopeNames {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OAuthConfigError(`${where}: not JSON; expected an object such as {"read": "Clari.Read", "export": "Clari.Export"}.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new OAuthConfigError(`${where}: expected a JSON object.`);
  const entries = parsed as Record<string, unknown>;
  // "budgets" is read by src/config/budgets.ts.
  const known = new Set<string>([...SCOPES, "requestPrefix", "claims", "budgets"]);
  const unknown = Object.keys(entries).filter((k) => !known.has(k));
  if (unknown.length) throw new OAuthConfigError(`${where}: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the permissions are ${SCOPES.join(", ")} (plus requestPrefix, claims and budgets).`);
  const prefix = entries.requestPrefix ?? "";
  if (typeof prefix !== "string" || (prefix !== "" && !SCOPE_TOKEN.test(prefix))) throw new OAuthConfigError(`${where}: requestPrefix must be a string without spaces or quotes.`);
  const claims = entries.claims ?? DEFAULT_SCOPE_NAMES.claims;
  if (!Array.isArray(claims) || claims.length === 0 || !claims.every((c) => typeof c === "string" && CLAIM_NAME.test(c))) throw new OAuthConfigError(`${where}: claims must be a non-empty list of claim names (e.g. ["scp", "roles"]).`);
  const granted = { ...DEFAULT_SCOPE_NAMES.granted };
  for (const scope of SCOPES) {
    const value = entries[scope];
    if (value === undefined) continue;
    if (typeof value !== "string" || (value !== "*" && !SCOPE_TOKEN.test(value))) throw new OAuthConfigError(`${where}: ${scope} must be a scope name (no spaces or quotes) or "*".`);
    granted[scope] = value;
  }
  const requested = Object.fromEntries(SCOPES.map((s) => [s, granted[s] === "*" ? undefined : `${prefix}${granted[s]}`])) as Record<Scope, string | undefined>;
  const names = SCOPES.map((s) => granted[s]).filter((n) => n !== "*");
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new OAuthConfigError(`${where}: ${JSON.stringify(twice)} stands for two permissions; give each its own name.`);
  return { granted, requested, claims: claims as string[] };
}

/** The mapping file as a JSON object (the caller checks its keys). */
export function scopesFileJson(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile("--oauth-scopes-file", file));
  } catch (error) {
    if (error instanceof OAuthConfigError) throw error;
    throw new OAuthConfigError(`--oauth-scopes-file ${file}: not JSON; expected an object such as {"read": "Clari.Read", "budgets": {"permissions": {"admin": "100/day"}}}.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new OAuthConfigError(`--oauth-scopes-file ${file}: expected a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** The settings from the flags' values, or undefined when OAuth is not configured (no issuer). */
export function loadOAuthSettings(input: {
  issuer: string | undefined;
  publicUrl: string | undefined;
  audience: string | undefined;
  introspectionClientFile: string | undefined;
  scopesFile: string | undefined;
}): OAuthSettings | undefined {
  const { issuer, publicUrl, audience, introspectionClientFile, scopesFile } = input;
  if (!issuer) {
    // Without sign-in the file may still set static tokens' export budgets; names of IdP scopes need an issuer.
    const namesScopes = scopesFile !== undefined && Object.keys(scopesFileJson(scopesFile)).some((k) => k !== "budgets");
    const stray = [publicUrl && "--public-url", audience && "--oauth-audience", introspectionClientFile && "--oauth-introspection-client", namesScopes && "--oauth-scopes-file"].filter(Boolean);
    if (stray.length) throw new OAuthConfigError(`${stray.join(", ")} ${stray.length > 1 ? "need" : "needs"} --oauth-issuer (CLARI_MCP_OAUTH_ISSUER): the authorization server whose tokens to accept.`);
    return undefined;
  }
  checkedUrl("--oauth-issuer", issuer);
  if (!publicUrl) throw new OAuthConfigError("--oauth-issuer needs --public-url (CLARI_MCP_PUBLIC_URL): the URL clients reach this server's /mcp endpoint at, which tokens must be issued for.");
  const resource = canonicalResource(checkedUrl("--public-url", publicUrl));
  const audiences = [resource];
  for (const extra of (audience ?? "").split(",").map((a) => a.trim()).filter(Boolean)) {
    if (!/^[\x21-\x7e]{1,1000}$/.test(extra)) throw new OAuthConfigError(`--oauth-audience values are printable ASCII without spaces (got ${JSON.stringify(extra)}).`);
    if (!audiences.includes(extra)) audiences.push(extra);
  }
  return {
    issuer,
    resource,
    audiences,
    introspectionClient: introspectionClientFile ? parseIntrospectionClient(readFile("--oauth-introspection-client", introspectionClientFile), `--oauth-introspection-client ${introspectionClientFile}`) : undefined,
    scopeNames: scopesFile ? parseScopeNames(readFile("--oauth-scopes-file", scopesFile), `--oauth-scopes-file ${scopesFile}`) : DEFAULT_SCOPE_NAMES,
  };
}
