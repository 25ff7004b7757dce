/**
 * A private npm registry for the release tests: verdaccio (a dev dependency) in a child process on
 * 127.0.0.1, its config, storage and one user in a temporary folder, and no uplink, so nothing it
 * serves comes from anywhere but what the test publishes to it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const VERDACCIO = path.join(path.dirname(createRequire(import.meta.url).resolve("verdaccio/package.json")), "bin", "verdaccio");

/** The environment without npm's own settings (npm test exports its config as npm_config_*). */
export function withoutNpmConfig(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !/^npm_/i.test(e[0])));
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Registry {
  url: string;
  /** An npmrc with the registry and the publishing user's token. */
  npmrc: string;
  dir: string;
  close(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const dir = await mkdtemp(path.join(tmpdir(), "clari-mcp-registry-"));
  const config = path.join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      "storage: ./storage",
      "auth:",
      "  htpasswd:",
      "    file: ./htpasswd",
      "    max_users: 1",
      // Signed tokens: verdaccio's default (legacy) token makes it check the password, a bcrypt
      // hash, on every request.
      "security:",
      "  api:",
      "    legacy: false",
      "    jwt:",
      "      sign:",
      "        expiresIn: 1h",
      "uplinks: {}",
      "packages:",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "max_body_size: 300mb",
      "web:",
      "  enable: false",
      "log: { type: stdout, format: json, level: warn }",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child: ChildProcess = spawn(process.execPath, [VERDACCIO, "--config", config, "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    env: withoutNpmConfig(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}): ${stderr}`);
      const ok = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const response = await fetch(`${url}-/user/org.couchdb.user:release-test`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "release-test", password: `pw-${process.pid}-${Date.now()}` }),
    });
    const { token } = (await response.json()) as { token?: string };
    if (!response.ok || !token) throw new Error(`verdaccio refused to create the publishing user (${response.status})`);
    const npmrc = path.join(dir, "publish.npmrc");
    writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    return { url, npmrc, dir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** glibc or musl on Linux (what npm compares a package's `libc` with), else undefined. */
function libc(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? "glibc" : "musl";
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  os?: string | string[];
  cpu?: string | string[];
  libc?: string | string[];
}

/**
 * The production dependencies (the lockfile's non-dev packages) npm would install on this
 * machine, as name@version: every other platform's optional package (DuckDB's bindings) left out.
 */
export function productionSpecs(lock: { packages: Record<string, LockEntry> }): string[] {
  const fits = (field: string | string[] | undefined, value: string | undefined) => field === undefined || (value !== undefined && ([] as string[]).concat(field).includes(value));
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev && !entry.devOptional && !entry.link && entry.version)
    .filter(([, entry]) => fits(entry.os, process.platform) && fits(entry.cpu, process.arch) && fits(entry.libc, libc()))
    .map(([key, entry]) => `${key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)}@${entry.version}`)
    .filter((spec, i, all) => all.indexOf(spec) === i);
}

/** Tarballs of these specs from npm's cache (the registry only if a tarball is not cached), into `dir`. */
export async function packSpecs(specs: string[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  await run(npm, ["pack", ...specs, "--prefer-offline", "--pack-destination", dir, "--silent"], { cwd: dir, maxBuffer: 16 * 1024 * 1024, shell: process.platform === "win32" });
  return (await readdir(dir)).filter((f) => f.endsWith(".tgz")).map((f) => path.join(dir, f));
}

/** `npm publish` of each tarball to the registry, a few at a time. */
export async function publish(registry: Registry, tarballs: string[], concurrency = 4): Promise<void> {
  const queue = [...tarballs];
  const env = withoutNpmConfig();
  const worker = async () => {
    for (let tarball = queue.shift(); tarball; tarball = queue.shift()) {
      if (!existsSync(tarball)) throw new Error(`no tarball ${tarball}`);
      await run(npm, ["publish", tarball, "--userconfig", registry.npmrc, "--registry", registry.url, "--ignore-scripts", "--provenance=false", "--tag", "latest", "--loglevel=error"], {
        cwd: path.dirname(tarball),
        env,
        shell: process.platform === "win32",
      }).catch((error: { stderr?: string }) => {
        throw new Error(`npm publish ${path.basename(tarball)} failed: ${error.stderr || String(error)}`);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
