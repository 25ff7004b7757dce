/**
 * The published package: `npm pack`, install the tarball into an empty project, start
 * `clari-mcp --sandbox` from there and list its tools. Catches missing files, a bin without a
 * shebang, and dev-only imports.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
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
  execFileSync(npm, ["pack", "--pack-destination", work.dir, "--silent"], { cwd: root, stdio: "pipe" });
  const tarball = readdirSync(work.dir).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(path.join(work.dir, "package.json"), JSON.stringify({ name: "pack-check", version: "1.0.0", private: true }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--silent", `./${tarball}`], { cwd: work.dir, stdio: "pipe" });
}, 240_000);
afterAll(() => work?.remove());

describe("npm package", () => {
  it("installs without dev files and serves tools from its bin", async () => {
    const installed = path.join(work.dir, "node_modules", "clari-mcp");
    const files = readdirSync(installed);
    expect(files).toEqual(expect.arrayContaining(["dist", "package.json", "README.md"]));
    expect(files).not.toContain("src");
    expect(files).not.toContain("test");
    const bin = path.join(work.dir, "node_modules", ".bin", "clari-mcp");
    const client = new Client({ name: "pack-check", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: bin, args: ["--sandbox", "--no-cache"], env: cleanEnv(), stderr: "ignore" }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("clari_export_forecast");
    // clari_query's engine: DuckDB's binding comes as an npm platform package, and the .mcpb
    // manifest declares the platforms whose binding a bundle built here carries.
    const result = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT 42 AS answer" } });
    expect((result.structuredContent as { rows: unknown[][] }).rows).toEqual([[42]]);
    await client.close();
    const manifest = JSON.parse(readFileSync(path.join(installed, "manifest.json"), "utf8")) as { compatibility: { platforms: string[] } };
    expect(manifest.compatibility.platforms).toContain("linux");
    if (process.platform === "linux" && process.arch === "x64") {
      expect(readdirSync(path.join(work.dir, "node_modules", "@duckdb"))).toEqual(expect.arrayContaining(["node-api", "node-bindings", "node-bindings-linux-x64"]));
    }
  }, 60_000);
});
