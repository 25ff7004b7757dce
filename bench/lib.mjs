/**
 * Shared helpers for the benchmarks: statistics, clean child environments, the built binary over
 * stdio and HTTP, bounded waits, and the list of child processes to stop on exit.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH_DIR);
export const CLI = path.join(ROOT, "dist", "cli.js");

/**
 * CLARI_BENCH_SMOKE=1: every section runs at a tiny size (few users, rows, calls and runs) and
 * still reports every figure, so a test can run them all in minutes and catch a section that no
 * longer runs. Its timings mean nothing; run.mjs never writes them over bench/RESULTS.md.
 */
export const SMOKE = process.env.CLARI_BENCH_SMOKE === "1";
/** `normal`, or `smoke` in a smoke run. */
export const sized = (normal, smoke) => (SMOKE ? smoke : normal);

/** Scratch files (generated exports, stores, caches); CLARI_BENCH_TMP moves them (the smoke test uses a temporary folder). */
export const TMP = process.env.CLARI_BENCH_TMP ? path.resolve(process.env.CLARI_BENCH_TMP) : path.join(BENCH_DIR, "tmp");
mkdirSync(TMP, { recursive: true });

/** Children started by the benchmarks (HTTP servers, generators); stopped on exit. */
const children = new Set();
export function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}
export function killChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
process.once("exit", killChildren);

// ---------------------------------------------------------------- statistics

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const rank = Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length)));
  return v[rank - 1];
}

export const round = (x, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const nowMs = () => performance.now();

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, label) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

// ---------------------------------------------------------------- processes

/** The current environment without any CLARI_* variable, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("CLARI_")) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Start a server over stdio with the SDK's StdioClientTransport and connect a Client.
 * Returns the client, the time connect() took (spawn + initialize), and a close function.
 */
export async function connectStdio({ command = process.execPath, args, env = cleanEnv(), timeoutMs = 20_000 }) {
  const transport = new StdioClientTransport({ command, args, env, stderr: "pipe", cwd: ROOT });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const client = new Client({ name: "clari-mcp-bench", version: "1.0.0" });
  await withTimeout(client.connect(transport), timeoutMs, `connect ${args.join(" ")}`);
  return {
    client,
    transport,
    stderr: () => stderr,
    close: () => withTimeout(client.close(), 10_000, "client close").catch(() => undefined),
  };
}

/**
 * Start `node dist/cli.js ... --transport http --port 0` and read the URL it announces on stderr.
 */
export async function startHttpBinary(args, env = cleanEnv(), timeoutMs = 20_000) {
  const child = track(spawn(process.execPath, [CLI, ...args, "--transport", "http", "--port", "0"], { env, cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    if (stderr.length < 50_000) stderr += chunk.toString();
  });
  const deadline = Date.now() + timeoutMs;
  let match;
  while (!(match = /at (http:\/\/\S+\/mcp)/.exec(stderr))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`HTTP server did not start: ${stderr}`);
    }
    await sleep(20);
  }
  return {
    url: match[1],
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Run `node script args` and parse the last stdout line as JSON. */
export function runNodeJson(script, args = [], { timeoutMs = 120_000, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }));
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c.toString()));
    child.stderr.on("data", (c) => {
      if (err.length < 20_000) err += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(script)} ${args.join(" ")} exceeded ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${path.basename(script)} exited ${code}: ${err.trim()}`));
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON: ${out.slice(-500)} ${err}`));
      }
    });
  });
}

/** One row of the results table. */
export function figure(id, label, value, unit, target, met) {
  return { id, figure: label, value, unit, target, met };
}
