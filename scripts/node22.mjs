/**
 * A Node 22 for the MCP conformance suite (@modelcontextprotocol/conformance needs Node >= 22;
 * clari-mcp itself runs on Node 20). Installed once from npm (the `node` package) into
 * node_modules/.cache/clari-mcp-node22 and reused; `node scripts/node22.mjs` prints its path.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIR = path.join(ROOT, "node_modules", ".cache", "clari-mcp-node22");
const BIN = path.join(DIR, "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node");

/** The current Node when it is 22 or newer, else the cached Node 22 (installed on first use). */
export async function node22() {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  if (!existsSync(BIN)) {
    await mkdir(DIR, { recursive: true });
    // Under `npm test` npm_execpath is npm's own CLI; otherwise the npm on PATH.
    const npm = process.env.npm_execpath?.endsWith("npm-cli.js") ? [process.execPath, process.env.npm_execpath] : ["npm"];
    execFileSync(npm[0], [...npm.slice(1), "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", DIR, "node@22"], { stdio: ["ignore", "ignore", "inherit"], shell: npm[0] === "npm" && process.platform === "win32" });
  }
  return BIN;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.stdout.write(`${await node22()}\n`);
