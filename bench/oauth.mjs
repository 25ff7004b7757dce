/**
 * 9. Sign-in cost: what checking OAuth access tokens adds, as ratios against static bearer tokens.
 * An authorization server (oidc-provider, in this process, on loopback) issues ES256 JWT access
 * tokens for the server's resource by the client-credentials grant.
 *  - Start: spawn of the built binary (HTTP, --sandbox) to the first tools/list answer, with a
 *    static token vs with --oauth-issuer (discovery of the issuer's metadata and its keys at start,
 *    then the first token check). Interleaved runs, the first round discarded.
 *  - Per call: one server configured with both; MCP pings in one 2025 session each, one per
 *    credential in turn: static token vs JWT (verified with jose on every request: signature, issuer, audience) vs an
 *    opaque token (introspected once, then remembered for up to a minute). Median and p99.
 *  - In process: the verifier alone (dist/transports/auth/token-verifier.js), microseconds per JWT.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { CLI, ROOT, TMP, cleanEnv, figure, log, median, nowMs, percentile, round, sized, sleep, track, withTimeout } from "./lib.mjs";

const STATIC_TOKEN = "bench-static-token-0123456789abcdef";
const SCOPE = "clari:read clari:export clari:cancel clari:ingest clari:admin";
const CLIENTS = {
  jwt: { client_id: "bench-jwt", client_secret: "bench-jwt-secret-0123456789" },
  opaque: { client_id: "bench-opaque", client_secret: "bench-opaque-secret-0123456789" },
  introspector: { client_id: "bench-introspector", client_secret: "bench-introspector-secret-0123456789" },
};

async function startIssuer() {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "bench", alg: "ES256", use: "sig" };
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const cc = { grant_types: ["client_credentials"], response_types: [], redirect_uris: [] };
  const provider = new Provider(issuer, {
    clients: [{ ...CLIENTS.jwt, ...cc }, { ...CLIENTS.opaque, ...cc }, { ...CLIENTS.introspector, grant_types: [], response_types: [], redirect_uris: [] }],
    jwks: { keys: [jwk] },
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    scopes: ["openid", ...SCOPE.split(" ")],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource, client) => ({ scope: SCOPE, audience: resource, accessTokenTTL: 3600, accessTokenFormat: client.clientId === CLIENTS.opaque.client_id ? "opaque" : "jwt", jwt: { sign: { alg: "ES256" } } }),
      },
    },
  });
  server.on("request", provider.callback());
  return {
    issuer,
    async token(resource, client) {
      const { client_id, client_secret } = CLIENTS[client];
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: SCOPE }),
      });
      const body = await response.json();
      if (!body.access_token) throw new Error(`token refused: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The binary on `port`; resolves once it announces its URL. */
async function startServer(port, extraArgs, env) {
  const t0 = nowMs();
  const child = track(spawn(process.execPath, [CLI, "--sandbox", "--no-cache", "--transport", "http", "--port", String(port), ...extraArgs], { env: cleanEnv(env), cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  child.stderr.on("data", (c) => {
    if (stderr.length < 20_000) stderr += c.toString();
  });
  const deadline = Date.now() + 20_000;
  while (!/at (http:\/\/\S+\/mcp)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`server did not start: ${stderr}`);
    }
    await sleep(5);
  }
  return {
    t0,
    url: `http://127.0.0.1:${port}/mcp`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

const connect = async (url, token) => {
  const client = new Client({ name: "bench-oauth", version: "1.0.0" });
  await withTimeout(client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: { token: async () => token } })), 20_000, "connect");
  return client;
};

/** Spawn to the first tools/list answer, for a static-token server and a sign-in server. */
async function startCost(issuer, runs) {
  const samples = { static: [], oauth: [] };
  for (let r = 0; r <= runs; r++) {
    for (const kind of ["static", "oauth"]) {
      const port = await freePort();
      const resource = `http://127.0.0.1:${port}/mcp`;
      const args = kind === "static" ? ["--http-token", STATIC_TOKEN] : ["--oauth-issuer", issuer.issuer, "--public-url", resource];
      const token = kind === "static" ? STATIC_TOKEN : await issuer.token(resource, "jwt");
      const server = await startServer(port, args, {});
      try {
        const client = await connect(server.url, token);
        await client.listTools();
        const ms = nowMs() - server.t0;
        await client.close();
        if (r > 0) samples[kind].push(ms);
      } finally {
        await server.stop();
      }
    }
  }
  return { staticMs: round(median(samples.static), 1), oauthMs: round(median(samples.oauth), 1), samples: { static: samples.static.map((x) => round(x, 1)), oauth: samples.oauth.map((x) => round(x, 1)) } };
}

/** Sequential pings in one session per credential, interleaved in blocks. */
async function perCall(issuer, { calls, blocks }) {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  const introspection = path.join(TMP, "oauth-introspection.json");
  writeFileSync(introspection, JSON.stringify(CLIENTS.introspector), { mode: 0o600 });
  const server = await startServer(port, ["--oauth-issuer", issuer.issuer, "--public-url", resource, "--oauth-introspection-client", introspection], { CLARI_MCP_HTTP_TOKENS: `bench:${STATIC_TOKEN}` });
  const credentials = { static: STATIC_TOKEN, jwt: await issuer.token(resource, "jwt"), opaque: await issuer.token(resource, "opaque") };
  const clients = {};
  const latencies = { static: [], jwt: [], opaque: [] };
  try {
    for (const [kind, token] of Object.entries(credentials)) clients[kind] = await connect(server.url, token);
    // One ping per credential in turn, the order rotating each round, so load on the machine
    // falls on all three alike; the first block of rounds warms up.
    const kinds = Object.keys(credentials);
    for (let round_ = 0; round_ < calls * blocks; round_++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(round_ + k) % kinds.length];
        const t = nowMs();
        await clients[kind].ping({ timeout: 10_000 });
        if (round_ >= calls) latencies[kind].push(nowMs() - t);
      }
    }
  } finally {
    for (const client of Object.values(clients)) await client.close().catch(() => undefined);
    await server.stop();
  }
  const stats = (v) => ({ p50: round(median(v), 3), p99: round(percentile(v, 99), 3), calls: v.length });
  return { static: stats(latencies.static), jwt: stats(latencies.jwt), opaque: stats(latencies.opaque) };
}

/** The verifier alone: microseconds per JWT check (signature, issuer, audience), keys cached. */
async function inProcess(issuer, checks) {
  const { createTokenVerifier } = await import("../dist/transports/auth/token-verifier.js");
  const { discoverIssuer } = await import("../dist/transports/auth/issuer-metadata.js");
  const resource = "http://127.0.0.1:9/mcp";
  const settings = { issuer: issuer.issuer, resource, audiences: [resource], introspectionClient: undefined, scopeNames: { granted: {}, requested: {}, claims: ["scope"] } };
  const silent = { error() {}, warn() {}, info() {}, debug() {} };
  const verifier = createTokenVerifier(settings, await discoverIssuer(issuer.issuer), silent);
  await verifier.warm();
  const token = await issuer.token(resource, "jwt");
  for (let i = 0; i < sized(200, 5); i++) await verifier.verifyAccessToken(token);
  const t0 = nowMs();
  for (let i = 0; i < checks; i++) await verifier.verifyAccessToken(token);
  return { checks, microsecondsPerCheck: round(((nowMs() - t0) * 1000) / checks, 1) };
}

export async function run({ runs = sized(5, 1), calls = sized(200, 5), blocks = sized(4, 2), checks = sized(5000, 50) } = {}) {
  const issuer = await startIssuer();
  try {
    const start = await startCost(issuer, runs);
    log(`oauth start: static token ${start.staticMs} ms, sign-in ${start.oauthMs} ms (spawn to first tools/list)`);
    const call = await perCall(issuer, { calls, blocks });
    log(`oauth per call (ping p50): static ${call.static.p50} ms, JWT ${call.jwt.p50} ms, opaque ${call.opaque.p50} ms`);
    const local = await inProcess(issuer, checks);
    log(`oauth in process: ${local.microsecondsPerCheck} µs per JWT check`);
    const startRatio = start.oauthMs / start.staticMs;
    const callRatio = call.jwt.p50 / call.static.p50;
    const opaqueRatio = call.opaque.p50 / call.static.p50;
    return {
      figures: [
        figure("oauth_start", "Sign-in start: spawn to first tools/list, --oauth-issuer / static token", `${start.oauthMs} / ${start.staticMs} ms`, "", "", null),
        figure("oauth_start_ratio", "Sign-in start ratio (issuer discovery and keys at start, first token check)", round(startRatio, 2), "x", "", null),
        figure("oauth_call_ratio", `Sign-in per call: ping p50 with a JWT / with a static token (${call.jwt.p50} / ${call.static.p50} ms)`, round(callRatio, 2), "x", "", null),
        figure("oauth_call_opaque_ratio", `Sign-in per call: ping p50 with an introspected opaque token / static (${call.opaque.p50} / ${call.static.p50} ms)`, round(opaqueRatio, 2), "x", "", null),
        figure("oauth_check_us", "Sign-in: one JWT check in process (jose ES256 verify, issuer, audience; keys cached)", local.microsecondsPerCheck, "µs", "", null),
      ],
      details: { start, perCall: call, inProcess: local, runs, callsPerBlock: calls, blocks },
    };
  } finally {
    await issuer.close();
  }
}
