#!/usr/bin/env node
/**
 * `npm run bundle`: the Claude Desktop bundles, one `clari-mcp-<version>-<target>.mcpb` per
 * platform Claude Desktop runs on (darwin-arm64, darwin-x64, win32-x64, and linux-x64), built
 * from any host. For each target:
 *
 * 1. Stage in a temporary folder: the dist files the npm package ships (package.json `files`, as
 *    `npm pack --dry-run` lists them: the bundled binary, its chunks, the listing and the view),
 *    manifest.json, README.md, LICENSE, icon.png, package.json and the lockfile.
 * 2. `npm ci --omit=dev --ignore-scripts --os=<os> --cpu=<cpu>` there (and `--libc=glibc` on Linux):
 *    the production dependencies exactly as locked, as npm installs them on that platform, so the
 *    folder holds that platform's DuckDB binding (`@duckdb/node-bindings-<target>`) and no other.
 * 3. Check the binding by its files' headers (ELF, Mach-O arm64 / x86-64, PE x86-64): a missing,
 *    foreign or extra binding stops the build, naming what is wrong.
 * 4. Write the manifest with that platform alone in `compatibility.platforms`, and pack with the
 *    official packer (`@anthropic-ai/mcpb`, what `mcpb pack` runs: it validates the manifest and
 *    icon); print each bundle's size and what is inside.
 *
 * Options: --out DIR (default: the repository root); --target <platform>-<arch>[-musl]
 * (repeatable): build only these (any target the lockfile has a DuckDB binding for).
 */
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The platforms Claude Desktop runs on: what `npm run bundle` builds by default. */
export const DEFAULT_TARGETS = ["darwin-arm64", "darwin-x64", "win32-x64", "linux-x64"];

export class BundleError extends Error {
  name = "BundleError";
}

/** os, cpu and libc of a target name ("linux-x64", "linux-arm64-musl", "win32-x64"). */
export function parseTarget(target) {
  const [os, cpu, libc] = target.split("-");
  return { os, cpu, libc: libc ?? (os === "linux" ? "glibc" : undefined) };
}

const FORMATS = { linux: "ELF", darwin: "Mach-O", win32: "PE" };
const ARCHES = { x64: "x86-64", arm64: "arm64" };

/** What a target's native files must be: "ELF x86-64", "Mach-O arm64", "PE x86-64"... */
export function expectedKind(target) {
  const { os, cpu } = parseTarget(target);
  return `${FORMATS[os] ?? os} ${ARCHES[cpu] ?? cpu}`;
}

/**
 * The kind of a native library from its first bytes: ELF (e_machine), Mach-O (cputype, thin or
 * universal) or PE (the COFF machine), with the CPU it is for; undefined for anything else.
 */
export function nativeKind(bytes) {
  const b = Buffer.from(bytes);
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const little = b[5] === 1;
    const machine = little ? b.readUInt16LE(18) : b.readUInt16BE(18);
    return `ELF ${{ 0x3e: "x86-64", 0xb7: "arm64", 0x03: "x86" }[machine] ?? `machine 0x${machine.toString(16)}`}`;
  }
  const mach = { 0x01000007: "x86-64", 0x0100000c: "arm64", 7: "x86", 12: "arm" };
  if (b.length >= 8 && (b.readUInt32LE(0) === 0xfeedfacf || b.readUInt32LE(0) === 0xfeedface)) {
    const cpu = b.readInt32LE(4);
    return `Mach-O ${mach[cpu] ?? `cputype 0x${cpu.toString(16)}`}`;
  }
  if (b.length >= 8 && b.readUInt32BE(0) === 0xcafebabe) {
    // A universal binary: one Mach-O per CPU.
    const count = b.readUInt32BE(4);
    const cpus = [];
    for (let i = 0; i < count && 8 + i * 20 + 4 <= b.length; i++) cpus.push(mach[b.readInt32BE(8 + i * 20)] ?? "other");
    return `Mach-O ${cpus.join("+")}`;
  }
  if (b.length >= 0x40 && b.toString("latin1", 0, 2) === "MZ") {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.length && b.toString("latin1", pe, pe + 4) === "PE\0\0") {
      const machine = b.readUInt16LE(pe + 4);
      return `PE ${{ 0x8664: "x86-64", 0xaa64: "arm64", 0x14c: "x86" }[machine] ?? `machine 0x${machine.toString(16)}`}`;
    }
  }
  return undefined;
}

function head(file, bytes = 4096) {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** A native library's kind matches when it is built for the target's CPU (a universal Mach-O may carry more). */
function kindMatches(kind, expected) {
  if (!kind) return false;
  const [format, cpus] = kind.split(" ");
  const [wantFormat, wantCpu] = expected.split(" ");
  return format === wantFormat && cpus.split("+").includes(wantCpu);
}

/**
 * Checks that `nodeModules` carries the DuckDB binding of `target` and no other, each native file
 * of it built for that platform (checked by its header). Returns the files checked with their kind;
 * throws a BundleError naming what is missing, foreign or extra.
 */
export function checkBinding(nodeModules, target) {
  const expected = expectedKind(target);
  const scope = path.join(nodeModules, "@duckdb");
  const bindings = existsSync(scope) ? readdirSync(scope).filter((name) => name.startsWith("node-bindings-")) : [];
  const own = `node-bindings-${target}`;
  const others = bindings.filter((name) => name !== own);
  if (others.length) throw new BundleError(`The ${target} bundle carries other platforms' DuckDB bindings: ${others.map((n) => `@duckdb/${n}`).join(", ")}.`);
  const folder = path.join(scope, own);
  if (!existsSync(path.join(folder, "duckdb.node"))) {
    throw new BundleError(
      `The ${target} bundle has no DuckDB binding: @duckdb/${own}/duckdb.node is missing (npm ci --os --cpu installed ${bindings.length ? bindings.join(", ") : "no binding"}).`,
    );
  }
  const natives = readdirSync(folder).filter((f) => /\.(node|so|dylib|dll)$/.test(f));
  const checked = natives.map((file) => ({ file: `@duckdb/${own}/${file}`, kind: nativeKind(head(path.join(folder, file))) }));
  const wrong = checked.filter(({ kind }) => !kindMatches(kind, expected));
  if (wrong.length) {
    throw new BundleError(`The ${target} bundle's DuckDB binding is not built for ${expected}: ${wrong.map(({ file, kind }) => `${file} is ${kind ?? "not a native library"}`).join("; ")}.`);
  }
  return checked;
}

/** The DuckDB bindings npm knows of: the lockfile's @duckdb/node-bindings-* packages, as "<platform>-<arch>[-musl]". */
export function lockedTargets(lock) {
  return Object.keys(lock.packages ?? {}).flatMap((key) => {
    const match = /^node_modules\/@duckdb\/node-bindings-(.+)$/.exec(key);
    return match ? [match[1]] : [];
  });
}

/** Files a release of the npm package holds, relative to the root (package.json `files`). */
function packedFiles() {
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], shell: process.platform === "win32" });
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

/**
 * package.json and the lockfile for the staged install, without the dev dependencies that live in
 * this repository (`file:` folders such as scripts/node24, absent from the stage): npm would
 * otherwise lay out their locked packages beside node_modules even with --omit=dev. Removed from
 * both files alike, so `npm ci` still finds them in sync.
 */
function writeLocalFreeInstall(stage) {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
  const local = Object.entries(pkg.devDependencies ?? {}).filter(([, spec]) => String(spec).startsWith("file:"));
  for (const [name, spec] of local) {
    const folder = String(spec).slice("file:".length).replace(/^\.\//, "").replace(/\/$/, "");
    delete pkg.devDependencies[name];
    delete lock.packages[""].devDependencies?.[name];
    delete lock.packages[`node_modules/${name}`];
    for (const key of Object.keys(lock.packages)) if (key === folder || key.startsWith(`${folder}/`)) delete lock.packages[key];
  }
  writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(path.join(stage, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

/** What a staged bundle holds at its top level, and nothing else. */
const BUNDLE_TOP = ["LICENSE", "README.md", "dist", "icon.png", "manifest.json", "node_modules", "package.json"];

/** One bundle: stage, install for the target, check, pack. */
async function buildOne({ target, pkg, manifest, runtime, outDir, log }) {
  const { os, cpu, libc } = parseTarget(target);
  const stage = mkdtempSync(path.join(tmpdir(), `clari-mcp-bundle-${target}-`));
  try {
    for (const file of [...runtime, "manifest.json", "README.md", "LICENSE", "icon.png"]) copy(path.join(root, file), path.join(stage, file));
    writeLocalFreeInstall(stage);
    const flags = [`--os=${os}`, `--cpu=${cpu}`, ...(libc ? [`--libc=${libc}`] : [])];
    log(`[${target}] installing production dependencies (npm ci --omit=dev ${flags.join(" ")})...`);
    execFileSync(npm, ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...flags], {
      cwd: stage,
      stdio: ["ignore", "ignore", "inherit"],
      shell: process.platform === "win32",
    });
    rmSync(path.join(stage, "package-lock.json"));
    rmSync(path.join(stage, "node_modules", ".package-lock.json"), { force: true });
    // What the server needs of package.json at run time: "type": "module" and the version.
    const { name, version, description, type, license, bin, engines, dependencies } = pkg;
    writeFileSync(path.join(stage, "package.json"), `${JSON.stringify({ name, version, description, type, license, bin, engines, dependencies }, null, 2)}\n`);
    const extra = readdirSync(stage).filter((f) => !BUNDLE_TOP.includes(f));
    if (extra.length) throw new BundleError(`The ${target} bundle's staging folder holds more than runs: ${extra.join(", ")}.`);
    const natives = checkBinding(path.join(stage, "node_modules"), target);
    const own = { ...manifest, compatibility: { ...manifest.compatibility, platforms: [os] } };
    writeFileSync(path.join(stage, "manifest.json"), `${JSON.stringify(own, null, 2)}\n`);

    // The official packer, as `mcpb pack` runs it (imported here: a dev dependency).
    const { getAllFilesWithCount, packExtension } = await import("@anthropic-ai/mcpb");
    const output = path.join(path.resolve(outDir), `${manifest.name}-${manifest.version}-${target}.mcpb`);
    if (!(await packExtension({ extensionPath: stage, outputPath: output, silent: true }))) {
      throw new BundleError(`mcpb refused to pack the ${target} bundle (its reasons are above).`);
    }
    const { files } = getAllFilesWithCount(stage);
    const unpacked = Object.values(files).reduce((sum, f) => sum + f.data.length, 0);
    const size = statSync(output).size;
    log(`\n${output}`);
    log(`bundle size: ${formatBytes(size)} (${size} bytes), unpacked ${formatBytes(unpacked)}, ${Object.keys(files).length} files`);
    log(`platform: ${os} (DuckDB binding ${target}: ${natives.map(({ file, kind }) => `${path.basename(file)} ${kind}`).join(", ")}); node ${own.compatibility.runtimes?.node ?? "any"}`);
    log("contents (unpacked):");
    const groups = summarise(files);
    const shown = groups.filter(([group], i) => i < 8 || !group.startsWith("node_modules/"));
    for (const [group, { files: count, bytes }] of shown) log(`  ${formatBytes(bytes).padStart(9)}  ${group}${count > 1 ? ` (${count} files)` : ""}`);
    const rest = groups.filter((g) => !shown.includes(g));
    if (rest.length) log(`  ${formatBytes(rest.reduce((sum, [, g]) => sum + g.bytes, 0)).padStart(9)}  ${rest.length} more packages in node_modules`);
    return { target, platform: os, path: output, size, unpacked, files: Object.keys(files) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export async function buildBundles({ outDir = root, targets = DEFAULT_TARGETS, log = console.log } = {}) {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8"));
  const known = lockedTargets(JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")));
  const unknown = targets.filter((t) => !known.includes(t));
  if (unknown.length) throw new BundleError(`No DuckDB binding for --target ${unknown.join(", ")}; the lockfile has: ${known.join(", ")}.`);
  if (!targets.length) throw new BundleError("No target to build.");
  if (manifest.version !== pkg.version) throw new BundleError(`manifest.json's version ${manifest.version} is not package.json's ${pkg.version}.`);
  const entry = manifest.server?.entry_point;
  if (!entry || !existsSync(path.join(root, entry))) throw new BundleError(`The bundle's entry point ${entry} is missing: run npm run build first.`);
  const runtime = packedFiles().filter((f) => f.startsWith("dist/"));
  if (!runtime.includes(entry)) throw new BundleError(`The npm package's files do not include ${entry}.`);
  mkdirSync(outDir, { recursive: true });
  const built = [];
  for (const target of [...new Set(targets)]) built.push(await buildOne({ target, pkg, manifest, runtime, outDir, log }));
  if (built.length > 1) {
    log("\nbundles:");
    for (const b of built) log(`  ${formatBytes(b.size).padStart(9)}  ${path.basename(b.path)} (unpacked ${formatBytes(b.unpacked)})`);
  }
  return built;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { out: { type: "string" }, target: { type: "string", multiple: true } } });
  buildBundles({ outDir: values.out, targets: values.target ?? DEFAULT_TARGETS }).catch((error) => {
    console.error(error instanceof BundleError ? `bundle: ${error.message}` : error);
    process.exit(1);
  });
}
