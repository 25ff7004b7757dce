/**
 * `npm pack` and `npm publish --dry-run` from a fresh, unbuilt clone: a copy of the repository's
 * files (what git tracks, plus new files not ignored; no dist/, no node_modules of its own, which
 * stands in for `npm ci` as a link to this checkout's) where prepack must build the binary before
 * npm packs. Each runs in its own copy, so neither sees the other's build.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { npm, withoutNpmConfig } from "./registry.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
const copies: string[] = [];
afterAll(async () => {
  for (const dir of copies) await rm(dir, { recursive: true, force: true });
});

/** The repository as a fresh clone has it, in a new temporary folder. */
async function freshClone(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "clari-mcp-clone-"));
  copies.push(dir);
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    if (!existsSync(path.join(root, file))) continue; // deleted in the work tree, not yet committed
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await cp(path.join(root, file), path.join(dir, file));
  }
  expect(existsSync(path.join(dir, "dist"))).toBe(false);
  await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

interface PackResult {
  files: Array<{ path: string }>;
  name: string;
  version: string;
}

function expectRuntimeOnly(files: string[]): void {
  expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/cli.js", "dist/query-worker.js", "dist/parse-thread.js", "dist/tools/listing.json", "dist/view/forecast-view.html"]));
  expect(files.some((f) => /^dist\/chunks\/sandbox-[\w-]+\.js$/.test(f))).toBe(true);
  // Only what runs: no sources, tests, maps, docs, tsc modules beside the bundle, or release files.
  expect(files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/(cli|query-worker|parse-thread)\.js|dist\/chunks\/[\w-]+\.js|dist\/tools\/listing\.json|dist\/view\/forecast-view\.html)$/.test(f))).toEqual([]);
}

describe("a fresh, unbuilt clone", () => {
  it("npm pack builds first (prepack) and packs the binary", async () => {
    const dir = await freshClone();
    const { stdout } = await run(npm, ["pack", "--json", "--loglevel=error"], { cwd: dir, env: withoutNpmConfig(), maxBuffer: 16 * 1024 * 1024, timeout: 240_000, shell: process.platform === "win32" });
    const [result] = JSON.parse(stdout.slice(stdout.indexOf("[\n"))) as PackResult[];
    expect(result!.name).toBe(pkg.name);
    expect(result!.version).toBe(pkg.version);
    expectRuntimeOnly(result!.files.map((f) => f.path));
    expect(existsSync(path.join(dir, `${pkg.name}-${pkg.version}.tgz`))).toBe(true);
  }, 300_000);

  it("npm publish --dry-run builds and would publish the same files, with no registry reachable", async () => {
    const dir = await freshClone();
    // A registry that does not exist (the dry run asks it whether the version exists, once, and
    // goes on): publishing must need nothing but the clone.
    const env = { ...withoutNpmConfig(), npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" };
    const { stdout } = await run(npm, ["publish", "--dry-run", "--json", "--provenance=false", "--loglevel=error"], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000, shell: process.platform === "win32" });
    const result = (JSON.parse(stdout.slice(stdout.indexOf("{\n"))) as Record<string, PackResult>)[pkg.name]!;
    expect(result.name).toBe(pkg.name);
    expectRuntimeOnly(result.files.map((f) => f.path));
    expect(existsSync(path.join(dir, "dist", "cli.js"))).toBe(true);
  }, 300_000);
});
