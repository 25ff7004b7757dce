/**
 * The built server as a real child process pointed at a fake Clari, with an SDK client over
 * stdio: start, call, read its stderr and RSS, kill -9, restart on the same cache folder. Every
 * process started here is remembered so that `stopAll` (in afterEach) leaves none behind.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { CLI, cleanEnv } from "../e2e/binary.js";
import type { FakeClari } from "./fake-clari.js";

export interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: { jobId?: string; outcome?: string; status?: string } & Record<string, unknown>;
}

export interface CallResult {
  /** undefined when the call did not return (timed out on the client side, or was aborted). */
  answer: ToolAnswer | undefined;
  error: Error | undefined;
  ms: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Client-side bound on the call; past it the call counts as not returned. */
  timeoutMs?: number;
}

export interface ServerProcess {
  pid: number;
  client: Client;
  cacheDir: string;
  args: string[];
  stderr(): string;
  /** Resident set size of the child in MB, from /proc/<pid>/status (0 once it has gone). */
  rssMb(): Promise<number>;
  call(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<CallResult>;
  /** SIGKILL, then wait for the process to be gone. */
  kill(): Promise<void>;
  /** A new process with the same arguments and environment (same cache folder, same key). */
  restart(): Promise<ServerProcess>;
}

const running = new Set<ServerProcess>();
const folders = new Set<string>();

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh temporary folder, removed by `stopAll`. */
export async function tempDir(prefix = "clari-rel-"): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  folders.add(dir);
  return dir;
}

function answerOf(result: Record<string, unknown>): ToolAnswer {
  const content = (result.content as Array<{ type: string; text?: string }> | undefined) ?? [];
  return {
    isError: result.isError === true,
    text: content.map((c) => c.text ?? "").join("\n"),
    structured: (result.structuredContent as ToolAnswer["structured"] | undefined) ?? {},
  };
}

/** Start `node dist/cli.js --cache-dir <dir> ...flags` against the fake and connect a client. */
export async function startServer(fake: FakeClari, options: { cacheDir?: string; flags?: string[] } = {}): Promise<ServerProcess> {
  const cacheDir = options.cacheDir ?? (await tempDir());
  const flags = options.flags ?? [];
  const args = flags.includes("--no-cache") ? flags : ["--cache-dir", cacheDir, ...flags];
  return spawnServer(fake, cacheDir, args);
}

async function spawnServer(fake: FakeClari, cacheDir: string, args: string[]): Promise<ServerProcess> {
  const env = cleanEnv({ CLARI_API_KEY: fake.apiKey, CLARI_BASE_URL: fake.v4Url, CLARI_INGEST_BASE_URL: fake.v2Url });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "reliability", version: "1.0.0" });
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    transport.onclose = () => {
      exited = true;
      resolve();
    };
  });
  try {
    await client.connect(transport, { timeout: 15_000 });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`the server did not start (${(error as Error).message}); stderr: ${stderr.slice(-800)}`);
  }
  const pid = transport.pid ?? 0;
  const proc: ServerProcess = {
    pid,
    client,
    cacheDir,
    args,
    stderr: () => stderr,
    async rssMb() {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    async call(name, toolArgs, callOptions = {}) {
      const started = Date.now();
      try {
        const result = await client.callTool({ name, arguments: toolArgs }, {
          timeout: callOptions.timeoutMs ?? 60_000,
          ...(callOptions.signal ? { signal: callOptions.signal } : {}),
        });
        return { answer: answerOf(result as Record<string, unknown>), error: undefined, ms: Date.now() - started };
      } catch (error) {
        return { answer: undefined, error: error as Error, ms: Date.now() - started };
      }
    },
    async kill() {
      running.delete(proc);
      if (!exited && pid) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await Promise.race([gone, waitForExit(pid)]);
      await client.close().catch(() => undefined);
    },
    restart: () => spawnServer(fake, cacheDir, args),
  };
  running.add(proc);
  return proc;
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}

/** Kill every server started by this module and remove every temporary folder. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
  await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
  folders.clear();
}

/** Poll `check` every 50 ms until it holds or `ms` pass; returns whether it held. */
export async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** The store folder of the one credential used: `<cacheDir>/<16 hex>/`. */
export async function storeDir(cacheDir: string): Promise<string> {
  const names = (await readdir(cacheDir)).filter((n) => /^[0-9a-f]{16}$/.test(n));
  if (names.length !== 1) throw new Error(`expected one store folder in ${cacheDir}, found ${JSON.stringify(names)}`);
  return path.join(cacheDir, names[0]!);
}

/** Bytes under a folder, every file counted (partial downloads included). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}

/** Samples a value every `everyMs` until stopped; `stop()` gives the peak. */
export function sampler(read: () => Promise<number>, everyMs = 200): { stop(): Promise<number> } {
  let peak = 0;
  let on = true;
  const loop = (async () => {
    for (let i = 0; on && i < 10_000; i++) {
      peak = Math.max(peak, await read());
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      peak = Math.max(peak, await read());
      return peak;
    },
  };
}

/** The one forecast export every test asks for. */
export function forecastArgs(waitSeconds: number, typesToExport: string[] = ["forecast", "quota"]): Record<string, unknown> {
  return { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport, waitSeconds };
}

export const EXPORT_TOOL = "clari_export_forecast";

/**
 * The next UTC midnight (when a day's export budget refills and the audit trail starts a new
 * file); when it is under 90 s away, waits past it first, so a test never straddles two days.
 */
export async function nextUtcMidnight(): Promise<number> {
  const next = (): number => {
    const d = new Date();
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  };
  if (next() - Date.now() < 90_000) await sleep(next() - Date.now() + 1000);
  return next();
}
