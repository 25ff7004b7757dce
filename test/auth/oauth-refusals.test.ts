/**
 * What the team server refuses, each case on its own, against a real authorization server
 * (oidc-provider on loopback) and the built binary: no token, an expired token, a token from
 * another issuer, for another resource, with a bad signature, signed by a key the issuer does not
 * publish (and, after the issuer rotates its keys, the new key accepted), a token lacking the
 * scope a tool needs (403 with the scope to ask for), and one person's token on another person's
 * session and task. Also: the metadata is public, opaque tokens are introspected, static tokens
 * still work beside sign-in, and no token or secret reaches the server's log.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeProtectedHeader, importJWK, SignJWT } from "jose";
import { tempDir } from "../helpers/harness.js";
import { startHttpServer } from "../e2e/http-server.js";
import { callTool, expectTask, rpc } from "../tasks/task-client.js";
import { CLIENTS, newSigningKey, PERMISSIONS, startAuthorizationServer, type AuthorizationServer } from "./authorization-server.js";
import { startTeamServer, type TeamServer } from "./oauth-server.js";
import { connectSignedIn, PersonProvider, Transcript } from "./sign-in.js";

const STATIC_TOKEN = "ci-static-token-0123456789abcdef";
let as: AuthorizationServer;
let server: TeamServer;
let stateless: TeamServer;
const cleanups: Array<() => Promise<unknown>> = [];
/** Every credential a test handled: none may appear in a server's log. */
const secrets = new Set<string>([STATIC_TOKEN, CLIENTS.introspector.client_secret]);

beforeAll(async () => {
  as = await startAuthorizationServer();
  const dir = await tempDir();
  const introspection = `${dir.dir}/introspection.json`;
  writeFileSync(introspection, JSON.stringify(CLIENTS.introspector), { mode: 0o600 });
  [server, stateless] = await Promise.all([
    startTeamServer(as.issuer, ["--oauth-introspection-client", introspection], { CLARI_MCP_HTTP_TOKENS: `ci:${STATIC_TOKEN}` }),
    startTeamServer(as.issuer, ["--stateless"]),
  ]);
  cleanups.push(() => server.close(), () => stateless.close(), () => dir.remove(), () => as.close());
}, 60_000);

afterAll(async () => {
  for (const started of [server, stateless]) {
    const log = started?.stderr() ?? "";
    for (const secret of secrets) expect(log.includes(secret), "a credential reached the server's log").toBe(false);
  }
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "refusals", version: "1" } } };

/** A 2025-era POST to /mcp with the given token; status, challenge and body. */
async function post(url: string, token: string | undefined, body: unknown = INITIALIZE, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "", text, sessionId: response.headers.get("mcp-session-id") ?? undefined };
}

/** A token for this server, by the client-credentials grant (sub: the client id). */
const tokenFor = async (options: { scope?: string; client?: keyof typeof CLIENTS; resource?: string } = {}) => {
  const token = await as.clientToken({ resource: options.resource ?? server.resource, ...options });
  secrets.add(token);
  return token;
};

function expectInvalidToken(answer: { status: number; challenge: string }, description: RegExp): void {
  expect(answer.status).toBe(401);
  expect(answer.challenge).toMatch(/^Bearer error="invalid_token"/);
  expect(answer.challenge).toMatch(description);
  expect(answer.challenge).toContain(`resource_metadata="${server.resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")}"`);
}

describe("discovery", () => {
  it("serves its protected resource metadata to anyone, at the root and the /mcp path", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await fetch(new URL(path, server.url));
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(await response.json()).toEqual({
        resource: server.resource,
        authorization_servers: [as.issuer],
        scopes_supported: [...PERMISSIONS],
        bearer_methods_supported: ["header"],
        resource_name: "Clari (clari-mcp)",
      });
    }
  });

  it("answers 404 there, without a token, when sign-in is not configured", async () => {
    const plain = await startHttpServer(["--sandbox", "--no-cache", "--http-token", STATIC_TOKEN]);
    cleanups.push(() => plain.close());
    const response = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", plain.url));
    expect(response.status).toBe(404);
  });
});

describe("refusals", () => {
  it("no token: 401 pointing at the metadata and naming the scopes, without an error code", async () => {
    const answer = await post(server.url, undefined);
    expect(answer.status).toBe(401);
    const metadata = server.resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp");
    expect(answer.challenge).toBe(`Bearer resource_metadata="${metadata}", scope="${PERMISSIONS.join(" ")}"`);
  });

  it("an expired token", async () => {
    const token = await tokenFor({ client: "shortLived" });
    expect((await post(server.url, token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3200));
    expectInvalidToken(await post(server.url, token), /expired/);
  });

  it("a token from another issuer (same keys, other iss)", async () => {
    const other = await as.otherIssuer();
    cleanups.push(() => other.close());
    const token = await other.clientToken({ resource: server.resource });
    secrets.add(token);
    expectInvalidToken(await post(server.url, token), /another authorization server/);
  });

  it("a token minted for another resource (audience)", async () => {
    const token = await tokenFor({ resource: "http://127.0.0.1:9/elsewhere/mcp" });
    expectInvalidToken(await post(server.url, token), /not issued for this server/);
  });

  it("a token with a bad signature", async () => {
    const [a, b] = [await tokenFor(), await tokenFor({ scope: "clari:read" })];
    const forged = `${a.slice(0, a.lastIndexOf("."))}${b.slice(b.lastIndexOf("."))}`;
    expectInvalidToken(await post(server.url, forged), /signature does not verify/);
  });

  it("a key id the issuer does not publish; after the issuer rotates its keys, the new key is accepted", async () => {
    const stranger = await newSigningKey("stranger");
    const forged = await new SignJWT({ scope: PERMISSIONS.join(" "), client_id: "refusal-tests" })
      .setProtectedHeader({ alg: "ES256", kid: stranger.kid, typ: "at+jwt" })
      .setIssuer(as.issuer)
      .setAudience(server.resource)
      .setSubject("mallory")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(await importJWK(stranger.privateJwk, "ES256"));
    expectInvalidToken(await post(server.url, forged), /key the authorization server does not publish/);

    const rotated = await as.rotate();
    const token = await tokenFor();
    expect(decodeProtectedHeader(token).kid).toBe(rotated.kid);
    // The server looks the issuer's keys up again once its cooldown (5 s) after the last fetch has passed.
    await new Promise((r) => setTimeout(r, 5_500));
    expect((await post(server.url, token)).status).toBe(200);
  }, 30_000);

  it("a token without the scope a tool needs: 403 insufficient_scope with the scope to ask for", async () => {
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } } };
    for (const { url, resource } of [server, stateless]) {
      const readOnly = await tokenFor({ scope: "clari:read", resource });
      const opened = await post(url, readOnly);
      expect(opened.status, opened.challenge).toBe(200);
      const headers: Record<string, string> = opened.sessionId ? { "mcp-session-id": opened.sessionId, "mcp-protocol-version": "2025-11-25" } : { "mcp-protocol-version": "2025-11-25" };
      const answer = await post(url, readOnly, call, headers);
      expect(answer.status).toBe(403);
      expect(answer.challenge).toMatch(/^Bearer error="insufficient_scope"/);
      expect(answer.challenge).toContain('scope="clari:export"');
      expect(answer.challenge).toContain("resource_metadata=");
      // tools/list shows it only the tools reading needs (stateful and stateless alike).
      const listed = await post(url, readOnly, { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} }, headers);
      const names = listed.text.match(/"name":"(clari_[a-z_]+)"/g)?.map((m) => m.slice(8, -1)) ?? [];
      expect(names).toContain("clari_get_limits");
      expect(names).not.toContain("clari_export_forecast");
      expect(names).not.toContain("clari_cancel_export_job");
    }
    // The 2026-07-28 path refuses the same way, and resources need read.
    const modern = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${await tokenFor({ scope: "clari:ingest" })}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "resources/read", "mcp-name": "clari://schema" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 4, method: "resources/read", params: { uri: "clari://schema", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "refusals", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} } } }),
    });
    expect(modern.status).toBe(403);
    expect(modern.headers.get("www-authenticate")).toContain('scope="clari:read"');
  });
});

describe("caching", () => {
  it("lets 2026-07-28 clients keep a signed-in caller's tool list only privately, and briefly", async () => {
    const answer = await rpc(server.url, "tools/list", {}, { token: await tokenFor({ scope: "clari:read" }), tasks: false });
    const tools = (answer.result?.tools as Array<{ name: string }>).map((t) => t.name);
    expect(tools).not.toContain("clari_export_forecast");
    expect(answer.result).toMatchObject({ cacheScope: "private", ttlMs: 300_000 });
  });
});

describe("one person's token on another person's session and task", () => {
  const transcript = new Transcript();
  const alice = new PersonProvider("alice", transcript);
  const bob = new PersonProvider("bob", transcript);

  it("bob cannot use alice's 2025-era session", async () => {
    const { client, transport } = await connectSignedIn(server.url, alice, "2025-11-25", transcript);
    cleanups.push(() => client.close());
    await connectSignedIn(server.url, bob, "2025-11-25", transcript).then(({ client }) => cleanups.push(() => client.close()));
    secrets.add(alice.accessToken).add(bob.accessToken);
    const sessionId = transport.sessionId!;
    const list = { jsonrpc: "2.0", id: 5, method: "tools/list", params: {} };
    const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" };
    expect((await post(server.url, alice.accessToken, list, headers)).status).toBe(200);
    const intruder = await post(server.url, bob.accessToken, list, headers);
    expect(intruder.status).toBe(404);
    expect(intruder.text).toContain("Session not found");
  }, 60_000);

  it("bob cannot read or cancel alice's task", async () => {
    const task = expectTask(await callTool(server.url, "clari_export_forecast", { forecastId: "net_bookings", timePeriod: "2025_Q3", fresh: true }, { token: alice.accessToken }));
    expect((await rpc(server.url, "tasks/get", { taskId: task.taskId }, { name: task.taskId, token: alice.accessToken })).result?.taskId).toBe(task.taskId);
    for (const method of ["tasks/get", "tasks/cancel"]) {
      const answer = await rpc(server.url, method, { taskId: task.taskId }, { name: task.taskId, token: bob.accessToken });
      expect(answer.result).toBeUndefined();
      expect(answer.error?.code).toBe(-32602);
    }
    // Alice's task is untouched by bob's attempt.
    const mine = await rpc(server.url, "tasks/get", { taskId: task.taskId }, { name: task.taskId, token: alice.accessToken });
    expect(mine.result?.status).not.toBe("cancelled");
  }, 60_000);
});

describe("other credentials", () => {
  it("accepts an opaque token by introspection, for this resource only", async () => {
    const opaque = await tokenFor({ client: "opaque" });
    expect(opaque.split(".")).toHaveLength(1);
    const accepted = await post(server.url, opaque);
    expect(accepted.status, accepted.challenge).toBe(200);
    expect((await callTool(server.url, "clari_get_limits", {}, { token: opaque, tasks: false })).isError).toBeFalsy();
    // A client acting for itself is the caller: its id at the issuer labels the log lines.
    expect(server.stderr()).toContain(`[user ${CLIENTS.opaque.client_id}@${as.issuer.replace("http://", "")}] clari_get_limits answered`);
    expectInvalidToken(await post(server.url, await tokenFor({ client: "opaque", resource: "http://127.0.0.1:9/elsewhere/mcp" })), /not issued for this server/);
    // Without introspection credentials an opaque token cannot be checked.
    expectInvalidToken(await post(stateless.url, opaque).then((a) => ({ ...a, challenge: a.challenge.replace(stateless.resource.replace("/mcp", ""), server.resource.replace("/mcp", "")) })), /opaque tokens cannot be checked/);
  });

  it("still accepts a static bearer token beside sign-in", async () => {
    const answer = await callTool(server.url, "clari_get_limits", {}, { token: STATIC_TOKEN, tasks: false });
    expect(answer.isError).toBeFalsy();
    expect(server.stderr()).toMatch(/\[token ci\] clari_get_limits answered/);
  });
});
