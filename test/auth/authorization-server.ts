/**
 * A real OAuth 2.1 / OpenID Connect authorization server on loopback for the tests: the certified
 * `oidc-provider` library with dynamic client registration, PKCE (required), resource indicators
 * (RFC 8707) issuing JWT access tokens for the resource they name, client credentials, token
 * introspection (RFC 7662), and two test people signing in with a password through a login form
 * and a consent form (alice may do everything, bob may only read). Nothing here accepts anything:
 * a wrong password is refused, and every token is signed by the server's own keys.
 *
 * `rotate()` replaces the running provider by one with a new signing key in front (the old one
 * still published), as an identity provider rotating its keys does; `otherIssuer` starts a second
 * server (another issuer) with the same keys, so a token from it differs only in `iss`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { type Configuration } from "oidc-provider";

export const PERMISSIONS = ["clari:read", "clari:export", "clari:cancel", "clari:ingest", "clari:admin"] as const;

export const PEOPLE = {
  alice: { password: "alice-correct-horse", email: "alice@example.test", name: "Alice Analyst", may: [...PERMISSIONS] },
  bob: { password: "bob-battery-staple", email: "bob@example.test", name: "Bob Browser", may: ["clari:read"] },
} as const;
export type Person = keyof typeof PEOPLE;

/** Confidential clients registered in advance: token minting for refusal tests, and our server's introspection credentials. */
export const CLIENTS = {
  minter: { client_id: "refusal-tests", client_secret: "refusal-tests-secret-0123456789" },
  shortLived: { client_id: "short-lived", client_secret: "short-lived-secret-0123456789" },
  opaque: { client_id: "opaque-tokens", client_secret: "opaque-tokens-secret-0123456789" },
  introspector: { client_id: "clari-mcp-introspector", client_secret: "introspector-secret-0123456789" },
  /** A second caller by client credentials (the audit trail's tests: one caller's rows apart from another's). */
  reader: { client_id: "audit-reader", client_secret: "audit-reader-secret-0123456789" },
} as const;

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" } };
}

export interface AuthorizationServer {
  issuer: string;
  keys: SigningKey[];
  /** A new key signs from now on; the old ones stay published. */
  rotate(): Promise<SigningKey>;
  /** A token by the client-credentials grant (sub is the client id), JWT unless the opaque client. */
  clientToken(options: { resource: string; scope?: string; client?: keyof typeof CLIENTS }): Promise<string>;
  /** A second server under another issuer name, signing with the same keys. */
  otherIssuer(): Promise<AuthorizationServer>;
  close(): Promise<void>;
}

function configuration(keys: SigningKey[]): Configuration {
  return {
    clients: [
      { ...CLIENTS.minter, grant_types: ["client_credentials"], response_types: [], redirect_uris: [] },
      { ...CLIENTS.shortLived, grant_types: ["client_credentials"], response_types: [], redirect_uris: [] },
      { ...CLIENTS.opaque, grant_types: ["client_credentials"], response_types: [], redirect_uris: [] },
      { ...CLIENTS.introspector, grant_types: [], response_types: [], redirect_uris: [] },
      { ...CLIENTS.reader, grant_types: ["client_credentials"], response_types: [], redirect_uris: [] },
    ],
    jwks: { keys: keys.map((k) => k.privateJwk) as never },
    cookies: { keys: ["test-cookie-signing-key-0123456789"] },
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    pkce: { required: () => true },
    scopes: ["openid", "offline_access", "email", "profile", ...PERMISSIONS],
    claims: { openid: ["sub"], email: ["email"], profile: ["name"] },
    findAccount: (_ctx, id) => {
      if (!(id in PEOPLE)) return undefined;
      const person = PEOPLE[id as Person];
      return { accountId: id, claims: () => ({ sub: id, email: person.email, name: person.name }) };
    },
    // The person's email and name travel in their access tokens too (as Okta's and Entra's do).
    extraTokenClaims: (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      if (!accountId || !(accountId in PEOPLE)) return undefined;
      return { email: PEOPLE[accountId as Person].email, name: PEOPLE[accountId as Person].name };
    },
    ttl: {
      AccessToken: () => 600,
      ClientCredentials: (_ctx, _token, client) => (client.clientId === CLIENTS.shortLived.client_id ? 3 : 600),
      Grant: () => 3600,
      Interaction: () => 600,
      Session: () => 3600,
      IdToken: () => 600,
      RefreshToken: () => 3600,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined,
        useGrantedResource: () => true,
        // The person's policy: a resource's scopes are those they may have (a client alone may have all);
        // what they may not have is left out of the grant, as Auth0's RBAC or Okta's policies leave it out.
        getResourceServerInfo: (ctx, resourceIndicator, client) => ({
          scope: (ctx.oidc.session?.accountId && ctx.oidc.session.accountId in PEOPLE ? PEOPLE[ctx.oidc.session.accountId as Person].may : PERMISSIONS).join(" "),
          audience: resourceIndicator,
          accessTokenTTL: client.clientId === CLIENTS.shortLived.client_id ? 3 : 600,
          accessTokenFormat: client.clientId === CLIENTS.opaque.client_id ? "opaque" : "jwt",
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
    // Sign-in and consent are ours (below): a password check, and consent to what the person may do.
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

const page = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The login and consent pages, and their answers. */
async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    if (prompt.name === "login") {
      return void res.end(page("Sign in", `<form method="post" action="/interaction/${uid}"><input type="hidden" name="prompt" value="login"/><input name="login"/><input type="password" name="password"/><button>Sign in</button></form>`));
    }
    const scopes = Object.values((prompt.details.missingResourceScopes ?? {}) as Record<string, string[]>).flat();
    return void res.end(page("Authorize", `<p>${escape(String(params.client_id))} asks for ${escape(scopes.join(" "))}</p><form method="post" action="/interaction/${uid}"><input type="hidden" name="prompt" value="consent"/><button>Allow</button></form>`));
  }
  const form = await readForm(req);
  if (form.get("prompt") === "login" && prompt.name === "login") {
    const login = form.get("login") ?? "";
    const person = login in PEOPLE ? PEOPLE[login as Person] : undefined;
    if (!person || form.get("password") !== person.password) {
      res.writeHead(401, { "content-type": "text/html; charset=utf-8" });
      return void res.end(page("Sign in failed", "<p>Wrong user name or password.</p>"));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (form.get("prompt") === "consent" && prompt.name === "consent") {
    const accountId = session?.accountId ?? "";
    const may = new Set<string>(accountId in PEOPLE ? PEOPLE[accountId as Person].may : []);
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: String(params.client_id) });
    if (!grant) throw new Error("grant vanished");
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      const granted = scopes.filter((s) => may.has(s));
      if (granted.length) grant.addResourceScope(indicator, granted.join(" "));
    }
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(400, { "content-type": "text/plain" });
  res.end("unexpected form");
}

export async function startAuthorizationServer(options: { keys?: SigningKey[] } = {}): Promise<AuthorizationServer> {
  const keys = options.keys ? [...options.keys] : [await newSigningKey("key-1")];
  let provider: Provider;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(provider, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String((error as Error).message));
      });
      return;
    }
    void provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const build = () => new Provider(issuer, configuration(keys));
  provider = build();

  return {
    issuer,
    keys,
    async rotate() {
      const key = await newSigningKey(`key-${keys.length + 1}`);
      keys.unshift(key);
      provider = build();
      return key;
    },
    async clientToken({ resource, scope = PERMISSIONS.join(" "), client = "minter" }) {
      const { client_id, client_secret } = CLIENTS[client];
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token request refused: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    otherIssuer: () => startAuthorizationServer({ keys }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
