/**
 * Drivers for the built binary that keep every byte it writes: a raw JSON-RPC client over stdio
 * (stdout and stderr captured whole) and an HTTP server start with its stderr captured, plus an
 * SDK client over HTTP whose fetch records every response (status, headers and body).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLI, cleanEnv } from "../e2e/binary.js";

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcReply {
  result?: Record<string, unknown>;
  error?: RpcError;
}

export interface StdioBinary {
  stdout(): string;
  stderr(): string;
  request(method: string, params?: unknown, timeoutMs?: number): Promise<RpcReply>;
  notify(method: string, params?: unknown): void;
  /** tools/call, returning the result or the protocol error. */
  tool(name: string, args?: Record<string, unknown>): Promise<RpcReply>;
  close(): Promise<void>;
}

export async function startStdioBinary(args: string[], env: Record<string, string>): Promise<StdioBinary> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let pending = "";
  let nextId = 1;
  const waiting = new Map<number, (reply: RpcReply) => void>();
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout.on("data", (c: Buffer) => {
    const text = c.toString();
    stdout += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.trim()) continue;
      const message = JSON.parse(line) as { id?: number; result?: Record<string, unknown>; error?: RpcError; method?: string };
      if (message.id !== undefined && message.method === undefined) {
        waiting.get(message.id)?.({ result: message.result, error: message.error });
        waiting.delete(message.id);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const request = (method: string, params?: unknown, timeoutMs = 20_000) =>
    new Promise<RpcReply>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`${method} timed out; stderr: ${stderr.slice(-500)}`)), timeoutMs);
      waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    });
  const binary: StdioBinary = {
    stdout: () => stdout,
    stderr: () => stderr,
    request,
    notify: (method, params) => send({ jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) }),
    tool: (name, toolArgs = {}) => request("tools/call", { name, arguments: toolArgs }),
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const init = await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "security", version: "1" } });
  if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
  binary.notify("notifications/initialized");
  return binary;
}

export interface HttpBinary {
  url: string;
  child: ChildProcess;
  stderr(): string;
  close(): Promise<void>;
}

/** Start the binary in HTTP mode on an ephemeral port; resolves once it announces its URL. */
export async function startHttpBinary(args: string[], env: Record<string, string>): Promise<HttpBinary> {
  const child = spawn(process.execPath, [CLI, "--transport", "http", "--port", "0", ...args], { env: cleanEnv(env) });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/at (http:\/\/\S+\/mcp)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: stderr.match(/at (http:\/\/\S+\/mcp)/)![1]!,
    child,
    stderr: () => stderr,
    async close() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An SDK client over HTTP whose every response (status, headers, body) is recorded in `wire`. */
export async function connectRecordingClient(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; wire: string[] }> {
  const wire: string[] = [];
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    wire.push(`${res.status} ${JSON.stringify([...res.headers.entries()])}`);
    if (!res.body) return res;
    const [mine, theirs] = res.body.tee();
    void (async () => {
      const reader = theirs.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        wire.push(decoder.decode(value, { stream: true }));
      }
    })().catch(() => undefined);
    return new Response(mine, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const client = new Client({ name: "security-http", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch, requestInit: { headers } }));
  return { client, wire };
}
