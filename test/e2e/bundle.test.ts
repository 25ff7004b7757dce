/**
 * The Claude Desktop bundle: `scripts/bundle.mjs` (what `npm run bundle` runs after the build)
 * packs a .mcpb; it is unpacked with the official unpacker (`@anthropic-ai/mcpb`), checked to hold
 * runtime files only, and its server is started from the unpacked folder over stdio.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unpackExtension } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDuckdbBindings } from "../../scripts/bundle.mjs";
import { tempDir } from "../helpers/harness.js";
import { cleanEnv } from "./binary.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Today about 28 MB, almost all of it DuckDB's native library; the dev install made 73 MB. */
const MAX_BUNDLE_BYTES = 40 * 1024 * 1024;
/** Dev-only packages that must never ship. */
const DEV_ONLY = ["typescript", "vitest", "@vitest", "vite", "esbuild", "@esbuild", "puppeteer-core", "puppeteer", "@puppeteer", "fast-check", "@anthropic-ai", "@modelcontextprotocol/ext-apps", "yaml"];

interface Manifest {
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  icon: string;
  compatibility: { platforms: string[] };
}

let work: { dir: string; remove(): Promise<void> };
let output = "";
let bundle = "";
let unpacked = "";
let files: string[] = [];

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")];
  });
}

beforeAll(async () => {
  work = await tempDir("clari-mcp-bundle-test-");
  output = execFileSync(process.execPath, [path.join(root, "scripts", "bundle.mjs"), "--out", work.dir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  bundle = path.join(work.dir, readdirSync(work.dir).find((f) => f.endsWith(".mcpb"))!);
  unpacked = path.join(work.dir, "unpacked");
  expect(await unpackExtension({ mcpbPath: bundle, outputDir: unpacked, silent: true })).toBe(true);
  files = walk(unpacked);
}, 300_000);
afterAll(() => work?.remove());

async function listTools(command: string, args: string[], env: Record<string, string>): Promise<{ client: Client; tools: string[] }> {
  const client = new Client({ name: "bundle-check", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command, args, env: cleanEnv(env), stderr: "ignore", cwd: work.dir }));
  return { client, tools: (await client.listTools()).tools.map((t) => t.name) };
}

describe("the Claude Desktop bundle (npm run bundle)", () => {
  it("prints its size and contents, and stays under the size bound", () => {
    const size = statSync(bundle).size;
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    expect(output).toContain(`bundle size:`);
    expect(output).toContain(`(${size} bytes)`);
    expect(output).toMatch(/node_modules\/@duckdb\/node-bindings-/);
  });

  it("holds runtime files only: dist without tests or maps, production node_modules, manifest, README, icon", () => {
    const top = new Set(files.map((f) => f.split("/")[0]));
    expect([...top].sort()).toEqual(["README.md", "dist", "icon.png", "manifest.json", "node_modules", "package.json"]);
    const packages = new Set(files.filter((f) => f.startsWith("node_modules/")).map((f) => {
      const parts = f.split("/");
      return parts[1]!.startsWith("@") ? `${parts[1]}/${parts[2]}` : parts[1]!;
    }));
    for (const name of DEV_ONLY) expect([...packages].filter((p) => p === name || p.startsWith(`${name}/`)), name).toEqual([]);
    const dist = files.filter((f) => f.startsWith("dist/"));
    expect(dist).toContain("dist/cli.js");
    expect(dist).toContain("dist/tools/listing.json");
    expect(dist).toContain("dist/view/forecast-view.html");
    expect(dist.filter((f) => /\.test\.js$|\.map$|\.ts$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|tests|__tests__)\//.test(f) && !f.startsWith("node_modules/"))).toEqual([]);
    expect(readFileSync(path.join(unpacked, "icon.png")).subarray(1, 4).toString()).toBe("PNG");
    const pkg = JSON.parse(readFileSync(path.join(unpacked, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.type).toBe("module");
    expect(pkg.devDependencies).toBeUndefined();
  });

  it("carries the DuckDB binding of every platform its manifest declares", () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.icon).toBe("icon.png");
    expect(files).toContain(manifest.server.entry_point);
    expect(checkDuckdbBindings(path.join(unpacked, "node_modules"), manifest.compatibility.platforms).length).toBeGreaterThan(0);
    if (process.platform === "linux" && process.arch === "x64") expect(files).toContain("node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so");
  });

  it("serves tools from the unpacked folder, clari_query included (the native binding loads)", async () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as Manifest;
    const { client, tools } = await listTools(process.execPath, [path.join(unpacked, manifest.server.entry_point), "--sandbox", "--no-cache"], {});
    try {
      expect(tools).toContain("clari_export_forecast");
      const result = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
      expect((result.structuredContent as { rows: unknown[][] }).rows).toEqual([[42]]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("started as Claude Desktop starts it (mcp_config, ${__dirname}, only the API key set), lists no ingest tools", async () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as Manifest;
    const { command, args, env } = manifest.server.mcp_config;
    expect(command).toBe("node");
    const values: Record<string, string> = { api_key: "bundle-test-key", partner_key: "" };
    const resolvedEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{user_config\.([a-z_]+)\}/g, (_, key: string) => values[key] ?? "")]));
    const cache = path.join(work.dir, "cache");
    mkdirSync(cache, { recursive: true });
    const { client, tools } = await listTools(process.execPath, args.map((a) => a.replaceAll("${__dirname}", unpacked)), { ...resolvedEnv, XDG_CACHE_HOME: cache });
    await client.close();
    expect(tools.length).toBeGreaterThan(10);
    expect(tools.filter((t) => t.includes("ingest") || t.includes("picklist"))).toEqual([]);
  }, 60_000);
});

describe("the bundle's platform check", () => {
  it("names a declared platform whose DuckDB binding is missing", async () => {
    const fake = await tempDir("clari-mcp-bindings-");
    try {
      const binding = path.join(fake.dir, "@duckdb", "node-bindings-linux-x64");
      mkdirSync(binding, { recursive: true });
      writeFileSync(path.join(binding, "package.json"), "{}");
      writeFileSync(path.join(binding, "duckdb.node"), "");
      // A folder without the native file (an optional dependency that failed to install) carries nothing.
      mkdirSync(path.join(fake.dir, "@duckdb", "node-bindings-darwin-arm64"), { recursive: true });
      expect(checkDuckdbBindings(fake.dir, ["linux"])).toEqual(["linux-x64"]);
      expect(() => checkDuckdbBindings(fake.dir, ["linux", "darwin"])).toThrow(/no DuckDB binding for darwin .*it has: @duckdb\/node-bindings-linux-x64/);
      expect(() => checkDuckdbBindings(fake.dir, [])).toThrow(/declares no compatibility.platforms/);
    } finally {
      await fake.remove();
    }
  });

  it("refuses a --target the lockfile has no binding for, before staging anything", () => {
    const run = () => execFileSync(process.execPath, [path.join(root, "scripts", "bundle.mjs"), "--target", "plan9-mips"], { cwd: root, encoding: "utf8", stdio: "pipe" });
    expect(run).toThrow(/No DuckDB binding for --target plan9-mips; the lockfile has: .*darwin-arm64/);
  });
});
