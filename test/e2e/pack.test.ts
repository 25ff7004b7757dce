/**
 * The published package: `npm pack` of the built tree (--ignore-scripts: prepack would rebuild
 * dist/ under the other tests; test/release/fresh-clone-pack.test.ts packs an unbuilt clone),
 * install the tarball into an empty project, start `clari-mcp --sandbox` from there and list its
 * tools. Catches missing files, a bin without a shebang, dev-only imports, and files that do not run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { tempDir } from "../helpers/harness.js";
import { cleanEnv } from "./binary.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let work: { dir: string; remove(): Promise<void> };

beforeAll(async () => {
  work = await tempDir("clari-mcp-pack-");
  execFileSync(npm, ["pack", "--ignore-scripts", "--pack-destination", work.dir, "--silent"], { cwd: root, stdio: "pipe" });
  const tarball = readdirSync(work.dir).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(path.join(work.dir, "package.json"), JSON.stringify({ name: "pack-check", version: "1.0.0", private: true }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--silent", `./${tarball}`], { cwd: work.dir, stdio: "pipe" });
}, 240_000);
afterAll(() => work?.remove());

describe("npm package", () => {
  it("installs without dev files and serves tools from its bin", async () => {
    const installed = path.join(work.dir, "node_modules", "clari-mcp");
    // What runs, and what npm always adds: the bundled binary and its chunks, the files it reads
    // beside itself, package.json, README and LICENSE. No tsc modules, maps, sources or docs.
    expect(readdirSync(installed).sort()).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
    const dist = readdirSync(path.join(installed, "dist"), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(installed, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
    // The query worker (a child process) and the forecast parse thread are entries of their own.
    expect(dist.filter((f) => !/^dist\/chunks\/[\w-]+\.js$/.test(f)).sort()).toEqual(["dist/cli.js", "dist/parse-thread.js", "dist/query-worker.js", "dist/tools/listing.json", "dist/view/forecast-view.html"]);
    expect(dist.filter((f) => f.startsWith("dist/chunks/")).length).toBeGreaterThan(0);
    const bin = path.join(work.dir, "node_modules", ".bin", "clari-mcp");
    const client = new Client({ name: "pack-check", version: "1.0.0" });
    const transport = new StdioClientTransport({ command: bin, args: ["--sandbox", "--no-cache"], env: cleanEnv({ CLARI_MCP_LOG_LEVEL: "debug" }), stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("clari_export_forecast");
    // clari_query's engine: DuckDB's binding comes as an npm platform package, and the .mcpb
    // manifest declares the platforms whose binding a bundle built here carries.
    const result = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
    expect((result.structuredContent as { rows: unknown[][] }).rows).toEqual([[42]]);
    // A forecast is parsed on the installed parse thread and asked about in the installed query worker.
    const exported = await client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 30 } });
    expect((exported.structuredContent as { outcome?: string }).outcome).toBe("done");
    const counted = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT count(*) > 0 FROM forecast" } });
    expect((counted.structuredContent as { rows: unknown[][] }).rows).toEqual([[true]]);
    await client.close();
    expect(stderr).toMatch(/query tables: loaded forecast export/);
    expect(stderr).not.toMatch(/no built (worker|thread) found/);
    // Redaction requires `entities` from the chunks on the first HTML entity (src/security/canonical.ts): it resolves from the install.
    const fromChunks = createRequire(path.join(installed, "dist", "chunks", "any.js"));
    expect((fromChunks("entities") as { decodeHTML: (s: string) => string }).decodeHTML("&#107;&amp;")).toBe("k&");
    const pkg = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.mcpName).toBe("io.github.clari-mcp/clari-mcp");
    if (process.platform === "linux" && process.arch === "x64") {
      expect(readdirSync(path.join(work.dir, "node_modules", "@duckdb"))).toEqual(expect.arrayContaining(["node-api", "node-bindings", "node-bindings-linux-x64"]));
    }
  }, 60_000);
});
