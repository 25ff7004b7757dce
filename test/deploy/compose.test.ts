/**
 * deploy/compose.yaml cannot be run here (Docker cannot pull images on this machine), so this
 * reads it and checks it against what it runs: the Dockerfile (port, CMD, health check), the flags
 * and environment variables src/config.ts accepts (loadConfig itself parses the replicas' command
 * line and environment), deploy/nginx.conf (upstream, listen port, streaming) and deploy/.env.example.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const deploy = path.join(root, "deploy");
const read = (file: string) => readFileSync(file, "utf8");

/**
 * Set by the branches that add them (Postgres state: --state / CLARI_MCP_STATE_URL; named bearer
 * tokens: CLARI_MCP_HTTP_TOKENS / --http-tokens-file). Until src/config.ts reads them, a replica
 * ignores them; once it does, remove them from here.
 */
const PENDING_ENV = new Set<string>();

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: string | number };
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  container_name?: string;
  restart?: string;
}
const composeText = read(path.join(deploy, "compose.yaml"));
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const { postgres, proxy } = compose.services as Record<"postgres" | "proxy", Service>;
const replica = compose.services["clari-mcp"]!;
/** deploy/nginx.conf without its comments. */
const nginx = read(path.join(deploy, "nginx.conf")).replace(/#.*$/gm, "");
const dockerfile = read(path.join(root, "Dockerfile"));

/** deploy/.env.example as a map. */
const example = Object.fromEntries(
  read(path.join(deploy, ".env.example"))
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);

/**
 * Compose's interpolation, nested as Compose allows (${A:-${B:?error}}): ${X}, ${X:-default},
 * ${X:?error} (throws when X is unset or empty), ${X:+replacement}.
 */
function interpolate(text: string, values: Record<string, string>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) break;
    out += text.slice(i, start);
    // The matching brace, past any nested ${...}.
    let depth = 0;
    let end = start;
    for (; end < text.length; end++) {
      if (text.startsWith("${", end)) {
        depth++;
        end++;
      } else if (text[end] === "}" && --depth === 0) break;
    }
    const body = text.slice(start + 2, end);
    const [, name, kind, rest] = /^([A-Z_][A-Z0-9_]*)(?::([-?+])([\s\S]*))?$/.exec(body)!;
    const value = values[name!];
    if (kind === "+") out += value ? interpolate(rest ?? "", values) : "";
    else if (value) out += value;
    else if (kind === "?") throw new Error(`${name}: ${interpolate(rest ?? "", values)}`);
    else if (kind === "-") out += interpolate(rest ?? "", values);
    i = end + 1;
  }
  return out + text.slice(i);
}
const filled = { ...example, CLARI_API_KEY: "team-clari-key", POSTGRES_PASSWORD: "0123abcd", CLARI_MCP_HTTP_TOKEN: "team-token" };
/** Compose interpolates the strings of the parsed file (so an empty result stays a string). */
function interpolateDeep<T>(value: T, values: Record<string, string>): T {
  if (typeof value === "string") return interpolate(value, values) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, values)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, values)])) as T;
  return value;
}
const resolvedCompose = interpolateDeep(compose, filled);
const resolvedReplica = resolvedCompose.services["clari-mcp"]!;

/** The JSON array of a Dockerfile instruction (ENTRYPOINT [...], CMD [...]) of the final stage. */
function dockerfileExec(instruction: "ENTRYPOINT" | "CMD"): string[] {
  const line = dockerfile.split("\n").findLast((l) => new RegExp(`^${instruction}\\s+\\[`).test(l))!;
  return JSON.parse(line.replace(new RegExp(`^${instruction}\\s+`), "")) as string[];
}
/** The replicas' argv after `node dist/cli.js`: the image's ENTRYPOINT with the compose command, else the image's CMD. */
function replicaArgv(): string[] {
  expect(dockerfileExec("ENTRYPOINT")).toEqual(["node", "dist/cli.js"]);
  return replica.command ?? dockerfileExec("CMD");
}
const replicaConfig = () => loadConfig(replicaArgv(), resolvedReplica.environment ?? {});

describe("deploy/compose.yaml", () => {
  it("has postgres, the clari-mcp replicas and a proxy, each with a health check", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["clari-mcp", "postgres", "proxy"]);
    for (const [name, service] of Object.entries(compose.services)) expect(service.healthcheck?.test, name).toBeDefined();
    for (const service of Object.values(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency]).toBeDefined();
        expect(condition).toBe("service_healthy");
      }
    }
    expect(Object.keys(replica.depends_on ?? {})).toEqual(["postgres"]);
    expect(Object.keys(proxy.depends_on ?? {})).toEqual(["clari-mcp"]);
  });

  it("builds the replicas from the repository's Dockerfile, N of them, with no host port or fixed name", () => {
    const dockerfilePath = path.resolve(deploy, replica.build!.context, replica.build!.dockerfile ?? "Dockerfile");
    expect(dockerfilePath).toBe(path.join(root, "Dockerfile"));
    expect(Number(resolvedReplica.deploy?.replicas)).toBeGreaterThanOrEqual(2);
    expect(Number(interpolate(String(replica.deploy?.replicas), { ...filled, CLARI_MCP_REPLICAS: "7" }))).toBe(7);
    expect(replica.ports).toBeUndefined();
    expect(replica.container_name).toBeUndefined();
  });

  it("runs each replica in stateless HTTP mode on the Dockerfile's port, as src/config.ts parses it", () => {
    const config = replicaConfig();
    expect(config.transport).toBe("http");
    expect(config.stateless).toBe(true);
    expect(config.host).toBe("0.0.0.0");
    expect(config.httpTokens.map((t) => t.token)).toContain("team-token");
    expect(config.apiKey).toBe("team-clari-key");
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${config.port}$`, "m"));
    expect(replica.expose).toEqual([String(config.port)]);
    // Bound to 0.0.0.0, a replica refuses to start without a bearer token.
    expect(() => loadConfig(replicaArgv(), { ...resolvedReplica.environment, CLARI_MCP_HTTP_TOKEN: "" })).toThrow(/bearer token/);
  });

  it("passes only environment variables the server reads (or that are being added)", () => {
    const configSource = read(path.join(root, "src", "config.ts"));
    const names = Object.keys(replica.environment ?? {});
    expect(names).toEqual(expect.arrayContaining(["CLARI_API_KEY", "CLARI_MCP_STATE_URL", "CLARI_MCP_HTTP_TOKEN", "CLARI_MCP_HTTP_TOKENS"]));
    for (const name of names) expect(PENDING_ENV.has(name) || new RegExp(`\\b${name}\\b`).test(configSource), name).toBe(true);
  });

  it("points the replicas' state at the postgres service, with its user, password and database", () => {
    const state = new URL(resolvedReplica.environment!.CLARI_MCP_STATE_URL!);
    const db = resolvedCompose.services.postgres!.environment!;
    expect(state.protocol).toBe("postgres:");
    expect(state.hostname).toBe("postgres");
    expect(state.port).toBe("5432");
    expect(state.username).toBe(db.POSTGRES_USER);
    expect(state.password).toBe(db.POSTGRES_PASSWORD);
    expect(state.pathname).toBe(`/${db.POSTGRES_DB}`);
    expect(postgres.ports).toBeUndefined();
    expect(postgres.volumes?.[0]).toMatch(/^pgdata:\/var\/lib\/postgresql\/data$/);
    expect(compose.volumes).toHaveProperty("pgdata");
    expect(postgres.healthcheck!.test.join(" ")).toContain(`pg_isready -U ${db.POSTGRES_USER} -d ${db.POSTGRES_DB}`);
  });

  it("checks each replica's health as the Dockerfile does, on /healthz of its port", () => {
    const port = replicaConfig().port;
    const script = replica.healthcheck!.test.at(-1)!;
    expect(script).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(dockerfile).toContain(script);
  });

  it("refuses to start, in one line naming what to set, with no way to authenticate callers", () => {
    const none = { ...filled, CLARI_MCP_HTTP_TOKEN: "", CLARI_MCP_HTTP_TOKENS: "", CLARI_MCP_OAUTH_ISSUER: "", CLARI_MCP_HTTP_TOKENS_FILE: "" };
    let message = "";
    try {
      interpolate(composeText, none);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/no way to authenticate callers: set CLARI_MCP_HTTP_TOKEN, CLARI_MCP_HTTP_TOKENS or CLARI_MCP_OAUTH_ISSUER in deploy\/\.env/);
    expect(message.split("\n")).toHaveLength(1);
    // Any one of them is enough; the check sits outside every service, so no container is created first.
    for (const name of ["CLARI_MCP_HTTP_TOKEN", "CLARI_MCP_HTTP_TOKENS", "CLARI_MCP_OAUTH_ISSUER", "CLARI_MCP_HTTP_TOKENS_FILE"]) {
      expect(() => interpolate(composeText, { ...none, [name]: "set" }), name).not.toThrow();
    }
    expect(Object.keys(compose).filter((key) => key.startsWith("x-"))).toEqual(["x-authentication"]);
    // Without the check, a replica with no token refuses to start, and is restarted forever.
    expect(() => loadConfig(replicaArgv(), { ...resolvedReplica.environment, CLARI_MCP_HTTP_TOKEN: "", CLARI_MCP_HTTP_TOKENS: "" })).toThrow(/bearer token/);
    expect(replica.restart).toBe("unless-stopped");
  });

  it("requires the secrets it cannot default, and every variable it reads is in deploy/.env.example", () => {
    for (const name of ["CLARI_API_KEY", "POSTGRES_PASSWORD"]) expect(() => interpolate(composeText, { ...filled, [name]: "" }), name).toThrow(name);
    const used = new Set([...composeText.replace(/^\s*#.*$/gm, "").matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].sort()).toEqual(Object.keys(example).sort());
  });
});

describe("deploy/nginx.conf", () => {
  it("is mounted into the proxy, listens on the published port and balances over the replicas' port", () => {
    const [source, target] = proxy.volumes![0]!.split(":");
    expect(existsSync(path.resolve(deploy, source!))).toBe(true);
    expect(target).toBe("/etc/nginx/nginx.conf");
    const listen = /^\s*listen\s+(\d+);/m.exec(nginx)![1];
    expect(resolvedCompose.services.proxy!.ports).toEqual([`8080:${listen}`]);
    expect(proxy.healthcheck!.test.join(" ")).toContain(`http://127.0.0.1:${listen}/healthz`);
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(nginx)!;
    expect(upstream[2]).toMatch(new RegExp(`server\\s+clari-mcp:${replicaConfig().port}\\s+resolve;`));
    expect(upstream[2]).toMatch(/zone\s+\w+\s+\d+k;/);
    expect(nginx).toMatch(new RegExp(`proxy_pass\\s+http://${upstream[1]};`));
    // Round robin is nginx's default: no other balancing method and no sticky sessions.
    expect(upstream[2]).not.toMatch(/\b(ip_hash|hash|least_conn|random|sticky)\b/);
  });

  it("streams event streams, allows the server's body limit, and never re-sends a POST", () => {
    expect(nginx).toMatch(/proxy_buffering\s+off;/);
    expect(nginx).toMatch(/proxy_http_version\s+1\.1;/);
    const limitMb = Number(/client_max_body_size\s+(\d+)m;/.exec(nginx)![1]);
    expect(limitMb * 1024 * 1024).toBeGreaterThan(replicaConfig().maxBodyBytes);
    expect(nginx).not.toMatch(/non_idempotent/);
    expect(nginx).toMatch(/resolver\s+127\.0\.0\.11\b/);
  });

  it("uses an nginx image whose open-source build has `server ... resolve` (1.27.3 or newer)", () => {
    const [major, minor, patch] = /^nginx:(\d+)\.(\d+)(?:\.(\d+))?/.exec(proxy.image!)!.slice(1).map((v) => Number(v ?? 0)) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(1_027_003);
  });
});
