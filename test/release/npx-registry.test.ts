/**
 * The one-line install, as README gives it: the package is packed, published with its production
 * dependencies to a private registry on loopback (verdaccio, no uplink), and `npx -y clari-mcp
 * --sandbox` is run from an empty folder with that registry and an empty npm cache. The test
 * client then speaks MCP to it over stdio: tools/list and a clari_query call (DuckDB's binding,
 * installed by npm from the registry, loads).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/harness.js";
import { npm, packSpecs, productionSpecs, publish, startRegistry, withoutNpmConfig, type Registry } from "./registry.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

let registry: Registry;
let work: { dir: string; remove(): Promise<void> };
let published: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(root, "dist", "cli.js"))) throw new Error("dist/cli.js is missing: npm run build first");
  const t0 = Date.now();
  work = await tempDir("clari-mcp-npx-");
  registry = await startRegistry();
  const t1 = Date.now();
  const tarballs = path.join(work.dir, "tarballs");
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as Parameters<typeof productionSpecs>[0];
  const dependencies = await packSpecs(productionSpecs(lock), tarballs);
  // The package itself, from the built tree (a fresh clone builds it in prepack: fresh-clone-pack.test.ts).
  await run(npm, ["pack", "--ignore-scripts", "--pack-destination", tarballs, "--silent"], { cwd: root, shell: process.platform === "win32" });
  const own = path.join(tarballs, `${pkg.name}-${pkg.version}.tgz`);
  const t2 = Date.now();
  await publish(registry, [...dependencies, own]);
  published = dependencies.map((t) => path.basename(t));
  console.log(`registry up ${t1 - t0} ms; ${dependencies.length} dependencies and the package packed ${t2 - t1} ms, published ${Date.now() - t2} ms`);
}, 240_000);

afterAll(async () => {
  await registry?.close();
  await work?.remove();
});

describe("npx -y clari-mcp --sandbox from a registry", () => {
  it("serves the registry's clari-mcp and nothing from elsewhere", async () => {
    const packument = (await (await fetch(`${registry.url}${pkg.name}`)).json()) as { "dist-tags": Record<string, string>; versions: Record<string, { bin?: Record<string, string> }> };
    expect(packument["dist-tags"].latest).toBe(pkg.version);
    expect(packument.versions[pkg.version]!.bin).toEqual({ "clari-mcp": "dist/cli.js" });
    expect(published.length).toBeGreaterThan(10);
    // No uplink: a package the test did not publish is unknown here.
    expect((await fetch(`${registry.url}left-pad`)).status).toBe(404);
  });

  it("installs into an empty npm cache and answers tools/list and a query over stdio", async () => {
    const folder = path.join(work.dir, "empty");
    const cache = path.join(work.dir, "npm-cache");
    mkdirSync(folder);
    const userconfig = path.join(work.dir, "user.npmrc");
    writeFileSync(userconfig, "");
    const env = {
      ...withoutNpmConfig(),
      npm_config_registry: registry.url,
      npm_config_cache: cache,
      npm_config_userconfig: userconfig,
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
      XDG_CACHE_HOME: path.join(work.dir, "xdg-cache"),
    };
    for (const key of Object.keys(env)) if (key.startsWith("CLARI_")) delete (env as Record<string, string>)[key];
    const started = Date.now();
    const client = new Client({ name: "npx-check", version: "1.0.0" });
    let stderr = "";
    const transport = new StdioClientTransport({ command: npx, args: ["-y", pkg.name, "--sandbox"], cwd: folder, env, stderr: "pipe" });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["clari_export_forecast", "clari_query", "clari_get_limits"]));
      const result = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
      expect((result.structuredContent as { rows: unknown[][] }).rows, stderr).toEqual([[42]]);
    } finally {
      await client.close();
    }
    console.log(`npx install and first tools/list: ${Date.now() - started} ms`);
    // npx installed it into the given cache, from this registry, and left the folder empty.
    const npxRoot = path.join(cache, "_npx");
    const installs = readdirSync(npxRoot).map((d) => path.join(npxRoot, d, "node_modules", pkg.name, "package.json")).filter((f) => existsSync(f));
    expect(installs).toHaveLength(1);
    expect((JSON.parse(readFileSync(installs[0]!, "utf8")) as { version: string }).version).toBe(pkg.version);
    expect(readdirSync(folder)).toEqual([]);
  }, 180_000);
});
