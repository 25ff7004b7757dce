/**
 * A 2026-07-28 client speaking JSON-RPC over Streamable HTTP by hand, as a Tasks client does:
 * each request carries the per-request `_meta` envelope (protocol version, client info, client
 * capabilities with or without the Tasks extension) and the Mcp-Method / Mcp-Name headers. The
 * answers are checked against the Tasks extension's own schemas (@modelcontextprotocol/ext-tasks).
 */
import { isCreateTaskResultV2, isDetailedTaskV2 } from "@modelcontextprotocol/ext-tasks/core/v2";

export const TASKS = "io.modelcontextprotocol/tasks";

export interface RpcAnswer {
  status: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
  id?: unknown;
}

let nextId = 0;

export async function rpc(url: string, method: string, params: Record<string, unknown>, options: { tasks?: boolean; name?: string; token?: string } = {}): Promise<RpcAnswer> {
  const _meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "tasks-test", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": options.tasks === false ? {} : { extensions: { [TASKS]: {} } },
  };
  const id = ++nextId;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...(options.name ? { "mcp-name": options.name } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta } }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  // A JSON body, or an event stream whose last data line is the response.
  const body = res.headers.get("content-type")?.includes("text/event-stream")
    ? (text
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>)
        .find((m) => m.id === id) ?? {})
    : text
      ? (JSON.parse(text) as Record<string, unknown>)
      : {};
  return { status: res.status, result: body.result as RpcAnswer["result"], error: body.error as RpcAnswer["error"], id: body.id };
}

/** tools/call; the result is either a CallToolResult or (resultType "task") a task. */
export async function callTool(url: string, name: string, args: Record<string, unknown>, options: { tasks?: boolean; token?: string } = {}): Promise<Record<string, unknown>> {
  const answer = await rpc(url, "tools/call", { name, arguments: args }, { ...options, name });
  if (!answer.result) throw new Error(`tools/call ${name} failed: ${JSON.stringify(answer.error ?? answer)}`);
  return answer.result;
}

export function expectTask(result: Record<string, unknown>): { taskId: string; status: string } {
  if (!isCreateTaskResultV2(result)) throw new Error(`not a CreateTaskResult by the Tasks schema: ${JSON.stringify(result).slice(0, 400)}`);
  return result as unknown as { taskId: string; status: string };
}

export async function getTask(url: string, taskId: string, token?: string): Promise<Record<string, unknown>> {
  const answer = await rpc(url, "tasks/get", { taskId }, { name: taskId, ...(token ? { token } : {}) });
  if (!answer.result) throw new Error(`tasks/get failed: ${JSON.stringify(answer.error ?? answer)}`);
  const { resultType, _meta, ...task } = answer.result;
  if (resultType !== "complete") throw new Error(`tasks/get answered resultType ${String(resultType)}`);
  if (!isDetailedTaskV2(task)) throw new Error(`not a DetailedTask by the Tasks schema: ${JSON.stringify(task).slice(0, 400)}`);
  return task;
}

/** Polls tasks/get (at the task's own interval, capped) until the task ends. */
export async function settle(urls: string | string[], taskId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const list = Array.isArray(urls) ? urls : [urls];
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const task = await getTask(list[i % list.length] as string, taskId);
    if (["completed", "failed", "cancelled"].includes(task.status as string)) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${String(task.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, Math.min(Number(task.pollIntervalMs ?? 500), 500)));
  }
}
