#!/usr/bin/env node
/**
 * `npm run bundle`: the Claude Desktop bundle (`clari-mcp-<version>.mcpb`), runtime files only.
 *
 * 1. Stage in a temporary folder: the dist files the npm package ships (package.json `files`, as
 *    `npm pack --dry-run` lists them: no tests, no source maps), manifest.json, README.md,
 *    icon.png, package.json and the lockfile.
 * 2. `npm ci --omit=dev --ignore-scripts` there: production dependencies exactly as locked, never
 *    the dev install (TypeScript, vitest, esbuild, puppeteer).
 * 3. Check the manifest: its version is package.json's, and for every platform it declares in
 *    `compatibility.platforms` the staged node_modules holds a DuckDB binding
 *    (`@duckdb/node-bindings-<platform>-<arch>`, which npm installs only for the machine it runs on).
 * 4. Pack with the official packer (`@anthropic-ai/mcpb`, what `mcpb pack` runs: it validates the
 *    manifest and icon) and print the bundle's size and what is inside.
 *
 * Options: --out DIR (default: the repository root); --target <platform>-<arch>[-musl] (repeatable,
 * e.g. darwin-arm64, win32-x64): also carry that platform's DuckDB binding, installed by
 * `npm ci --os --cpu` from the same lockfile, and declare its platform in the bundle's manifest.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export class BundleError extends Error {
  name = "BundleError";
}

/**
 * The DuckDB bindings in a node_modules folder, as "<platform>-<arch>" ("linux-x64"), and an
 * error naming each declared platform that has none.
 */
export function checkDuckdbBindings(nodeModules, platforms) {
  const scope = path.join(nodeModules, "@duckdb");
  const carried = existsSync(scope)
    ? readdirSync(scope).flatMap((name) => {
        const match = /^node-bindings-(.+)$/.exec(name);
        return match && existsSync(path.join(scope, name, "duckdb.node")) ? [match[1]] : [];
      })
    : [];
  if (!Array.isArray(platforms) || platforms.length === 0) {
    throw new BundleError("manifest.json declares no compatibility.platforms; list the platforms whose DuckDB binding the bundle carries.");
  }
  const missing = platforms.filter((platform) => !carried.some((binding) => binding.startsWith(`${platform}-`)));
  if (missing.length > 0) {
    throw new BundleError(
      `manifest.json declares compatibility.platforms ${JSON.stringify(platforms)}, but the staged node_modules has no DuckDB binding for ${missing.join(", ")} ` +
        `(it has: ${carried.length ? carried.map((b) => `@duckdb/node-bindings-${b}`).join(", ") : "none"}). ` +
        `npm installs only the binding of the machine it runs on: build the bundle on that platform, or remove it from compatibility.platforms.`,
    );
  }
  return carried;
}

/** The DuckDB bindings npm knows of: the lockfile's @duckdb/node-bindings-* packages, as "<platform>-<arch>[-musl]". */
function lockedBindings(lock) {
  return Object.keys(lock.packages ?? {}).flatMap((key) => {
    const match = /^node_modules\/@duckdb\/node-bindings-(.+)$/.exec(key);
    return match ? [match[1]] : [];
  });
}

/** Installs another platform's DuckDB binding (npm ci --os --cpu [--libc] of the same lockfile) into stage/node_modules. */
function addBinding(stage, target, log) {
  const [os, cpu, libc] = target.split("-");
  const scratch = mkdtempSync(path.join(tmpdir(), `clari-mcp-binding-${target}-`));
  try {
    for (const file of ["package.json", "package-lock.json"]) copyFileSync(path.join(root, file), path.join(scratch, file));
    log(`Installing the DuckDB binding for ${target} (npm ci --os=${os} --cpu=${cpu}${libc ? ` --libc=${libc}` : ""})...`);
    const flags = [`--os=${os}`, `--cpu=${cpu}`, ...(libc ? [`--libc=${libc}`] : [])];
    execFileSync(npm, ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...flags], { cwd: scratch, stdio: ["ignore", "ignore", "inherit"] });
    const from = path.join(scratch, "node_modules", "@duckdb", `node-bindings-${target}`);
    if (!existsSync(path.join(from, "duckdb.node"))) throw new BundleError(`npm installed no @duckdb/node-bindings-${target} for --target ${target}.`);
    cpSync(from, path.join(stage, "node_modules", "@duckdb", `node-bindings-${target}`), { recursive: true });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Files a release of the npm package holds, relative to the root (package.json `files`). */
function packedFiles() {
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return JSON.parse(out)[0].files.map((f) => f.path);
}

function copy(from, to) {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Files by group: each top-level file, dist/, and each package in node_modules. */
function summarise(files) {
  const groups = new Map();
  for (const [name, { data }] of Object.entries(files)) {
    const parts = name.split("/");
    const key = parts[0] === "node_modules" ? `node_modules/${parts[1]?.startsWith("@") ? `${parts[1]}/${parts[2]}` : parts[1]}` : parts.length > 1 ? `${parts[0]}/` : name;
    const group = groups.get(key) ?? { files: 0, bytes: 0 };
    group.files += 1;
    group.bytes += data.length;
    groups.set(key, group);
  }
  return [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
}

export async function buildBundle({ outDir = root, targets = [], log = console.log } = {}) {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8"));
  const known = lockedBindings(JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")));
  const unknown = targets.filter((t) => !known.includes(t));
  if (unknown.length) throw new BundleError(`No DuckDB binding for --target ${unknown.join(", ")}; the lockfile has: ${known.join(", ")}.`);
  if (manifest.version !== pkg.version) throw new BundleError(`manifest.json's version ${manifest.version} is not package.json's ${pkg.version}.`);
  const entry = manifest.server?.entry_point;
  if (!entry || !existsSync(path.join(root, entry))) throw new BundleError(`The bundle's entry point ${entry} is missing: run npm run build first.`);

  const stage = mkdtempSync(path.join(tmpdir(), "clari-mcp-bundle-"));
  try {
    const runtime = packedFiles().filter((f) => f.startsWith("dist/"));
    if (!runtime.includes(entry)) throw new BundleError(`The npm package's files do not include ${entry}.`);
    for (const file of [...runtime, "manifest.json", "README.md", "icon.png", "package.json", "package-lock.json"]) copy(path.join(root, file), path.join(stage, file));

    log(`Installing production dependencies into ${stage} (npm ci --omit=dev)...`);
    execFileSync(npm, ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: stage, stdio: ["ignore", "ignore", "inherit"] });
    rmSync(path.join(stage, "package-lock.json"));
    rmSync(path.join(stage, "node_modules", ".package-lock.json"), { force: true });
    // What the server needs of package.json at run time: "type": "module" and the version.
    const { name, version, description, type, license, bin, engines, dependencies } = pkg;
    writeFileSync(path.join(stage, "package.json"), `${JSON.stringify({ name, version, description, type, license, bin, engines, dependencies }, null, 2)}\n`);

    for (const target of targets) if (!existsSync(path.join(stage, "node_modules", "@duckdb", `node-bindings-${target}`, "duckdb.node"))) addBinding(stage, target, log);
    if (targets.length) {
      // The bundle's manifest declares the platforms of the bindings added.
      const platforms = [...new Set([...(manifest.compatibility?.platforms ?? []), ...targets.map((t) => t.split("-")[0])])];
      manifest.compatibility = { ...manifest.compatibility, platforms };
      writeFileSync(path.join(stage, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const bindings = checkDuckdbBindings(path.join(stage, "node_modules"), manifest.compatibility?.platforms);

    // The official packer, as `mcpb pack` runs it (imported here: a dev dependency).
    // packExtension validates the manifest and the icon first and prints what it finds.
    const { getAllFilesWithCount, packExtension } = await import("@anthropic-ai/mcpb");
    mkdirSync(outDir, { recursive: true });
    const output = path.join(path.resolve(outDir), `${manifest.name}-${manifest.version}.mcpb`);
    if (!(await packExtension({ extensionPath: stage, outputPath: output, silent: true }))) {
      throw new BundleError("mcpb refused to pack the staged folder (its reasons are above).");
    }

    const { files } = getAllFilesWithCount(stage);
    const unpacked = Object.values(files).reduce((sum, f) => sum + f.data.length, 0);
    const size = statSync(output).size;
    log(`\n${output}`);
    log(`bundle size: ${formatBytes(size)} (${size} bytes), unpacked ${formatBytes(unpacked)}, ${Object.keys(files).length} files`);
    log(`platforms: ${manifest.compatibility.platforms.join(", ")} (DuckDB binding: ${bindings.join(", ")}); node ${manifest.compatibility.runtimes?.node ?? "any"}`);
    log("contents (unpacked):");
    const groups = summarise(files);
    const shown = groups.filter(([group], i) => i < 12 || !group.startsWith("node_modules/"));
    for (const [group, { files: count, bytes }] of shown) log(`  ${formatBytes(bytes).padStart(9)}  ${group}${count > 1 ? ` (${count} files)` : ""}`);
    const rest = groups.filter((g) => !shown.includes(g));
    if (rest.length) log(`  ${formatBytes(rest.reduce((sum, [, g]) => sum + g.bytes, 0)).padStart(9)}  ${rest.length} more packages in node_modules`);
    return { path: output, size, unpacked, files: Object.keys(files) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { out: { type: "string" }, target: { type: "string", multiple: true } } });
  buildBundle({ outDir: values.out, targets: values.target ?? [] }).catch((error) => {
    console.error(error instanceof BundleError ? `bundle: ${error.message}` : error);
    process.exit(1);
  });
}
