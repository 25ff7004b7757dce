/**
 * The person in the browser, for the official SDK client's OAuth flow: an OAuthClientProvider
 * (@modelcontextprotocol/client) whose "redirect to the authorization server" signs a test person
 * in over plain HTTP, as a browser would: follow the redirects, fill and post the login form, post
 * the consent form, and stop at the redirect back to the client with the authorization code.
 * Every request of the flow (the client's and the browser's) is written to a transcript: method,
 * URL without its query, status. No token, code or secret is recorded.
 */
import { Client, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientInformationMixed, type OAuthClientMetadata, type OAuthClientProvider, type OAuthTokens } from "@modelcontextprotocol/client";
import { PEOPLE, type Person } from "./authorization-server.js";

export class Transcript {
  readonly lines: string[] = [];
  add(who: string, method: string, url: string, status: number | string): void {
    const u = new URL(url);
    this.lines.push(`${who.padEnd(7)} ${method.padEnd(6)} ${u.origin}${u.pathname} -> ${status}`);
  }
  /** A fetch that records what passes through it. */
  fetch(who: string): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      this.add(who, request.method, request.url, response.status);
      return response;
    };
  }
  toString(): string {
    return this.lines.join("\n");
  }
}

/** Cookies by name (the test server's cookie paths never overlap in name). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split("=")[1] ?? "") < Date.now()));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** The first form of a page: where it posts and its inputs' values. */
function formOf(html: string): { action: string; fields: Map<string, string> } | undefined {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields = new Map<string, string>();
  for (const input of form[2]!.matchAll(/<input([^>]*)>/gi)) {
    const name = /name="([^"]+)"/.exec(input[1]!)?.[1];
    if (name) fields.set(name, /value="([^"]*)"/.exec(input[1]!)?.[1] ?? "");
  }
  return { action: form[1]!, fields };
}

/** Signs `person` in from the authorization URL; resolves with the query of the redirect back to `redirectUri`. */
export async function signIn(authorizationUrl: URL, person: Person, redirectUri: string, transcript: Transcript, password = PEOPLE[person].password): Promise<URLSearchParams> {
  const jar = new CookieJar();
  let url = authorizationUrl.href;
  let method = "GET";
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, { method, body, redirect: "manual", headers: { cookie: jar.header(), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) } });
    transcript.add("browser", method, url, response.status);
    jar.take(response);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      await response.body?.cancel();
      if (next.href.startsWith(redirectUri)) return next.searchParams;
      [url, method, body] = [next.href, "GET", undefined];
      continue;
    }
    const html = await response.text();
    const form = response.ok ? formOf(html) : undefined;
    if (!form) throw new Error(`sign-in stopped at ${method} ${new URL(url).pathname}: HTTP ${response.status}`);
    if (form.fields.has("password")) {
      form.fields.set("login", person);
      form.fields.set("password", password);
    }
    [url, method, body] = [new URL(form.action, url).href, "POST", new URLSearchParams([...form.fields])];
  }
  throw new Error("sign-in did not finish in 20 steps");
}

/** An OAuthClientProvider for one person, keeping everything in memory, registering dynamically. */
export class PersonProvider implements OAuthClientProvider {
  readonly redirectUrl = "http://127.0.0.1:9/oauth/callback";
  private client: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = "";
  /** The query of the last redirect back (code, state, iss), for transport.finishAuth. */
  callback: URLSearchParams | undefined;
  signIns = 0;

  constructor(
    readonly person: Person,
    private readonly transcript: Transcript,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: `clari-mcp tests (${this.person})`, redirect_uris: [this.redirectUrl], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  /** The access token, for tests that send it by hand. */
  get accessToken(): string {
    if (!this.saved) throw new Error(`${this.person} has no token yet`);
    return this.saved.access_token;
  }
  async redirectToAuthorization(authorizationUrl: URL) {
    this.signIns += 1;
    this.callback = await signIn(authorizationUrl, this.person, this.redirectUrl, this.transcript);
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/**
 * The SDK's interactive flow: connect (401, discovery, registration, the person signs in), finish
 * with the code, connect again; a person already signed in connects at once.
 */
export async function connectSignedIn(url: string, person: PersonProvider, era: "2026-07-28" | "2025-11-25", transcript: Transcript): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const options = { authProvider: person, fetch: transcript.fetch("client") };
  const newClient = () => new Client({ name: "oauth-e2e", version: "1.0.0" }, era === "2026-07-28" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  if (!person.tokens()) {
    const first = new StreamableHTTPClientTransport(new URL(url), options);
    const refused = await newClient().connect(first).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!(refused instanceof UnauthorizedError)) throw new Error(`expected the first connect to need sign-in, got ${String(refused)}`);
    if (!person.callback?.get("code")) throw new Error("the sign-in brought back no authorization code");
    await first.finishAuth(person.callback);
  }
  const client = newClient();
  const transport = new StreamableHTTPClientTransport(new URL(url), options);
  await client.connect(transport);
  return { client, transport };
}
