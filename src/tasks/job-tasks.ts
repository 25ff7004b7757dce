/**
 * Clari jobs as MCP Tasks (the io.modelcontextprotocol/tasks extension). A job tool called by a
 * client that declares the extension queues (or finds) its job as it always does, without
 * waiting, and answers with a task when the job is still running. `tasks/get` looks at the job
 * once (the same step clari_wait_for_job takes) and, when it has ended, gives the tool's own
 * final answer; `tasks/cancel` cancels the Clari job under the rule a cancelled call follows
 * (only when the task's owner queued it and nobody else waits on it; a task of
 * clari_wait_for_job never cancels). A working task is itself a waiter on its job for its whole
 * life (its record counts, in any process), so a blocking call of the same export that is
 * cancelled leaves the job to the task. Task ids carry their job (task-id.ts) and the records
 * (deps.tasks) live in the shared state, so any replica and a restarted server can answer.
 */
import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, type CallToolResult, type McpServer, type ServerContext } from "@modelcontextprotocol/server";
import type { CallContext, Deps } from "../deps.js";
import type { TaskRecord, TaskStatus } from "../state/task-records.js";
import { TaskExistsError } from "../state/task-records.js";
import { runTool, type ToolDefinition } from "../tools/kit/define-tool.js";
import { waitForJobTool } from "../tools/catalog/wait-for-job.js";
import type { TaskStarter } from "../tools/kit/register-tools.js";
import { openTaskId, ownerDigest, sealTaskId, taskIdKey, type TaskHandle } from "./task-id.js";
import { cancelUnlessWaited, EXPORT_LIFETIME_MS } from "../exports/index.js";
import { redactSecrets } from "../security/redact.js";

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
/** A Clari job is looked at once per tasks/get; every 3 s is plenty for jobs of seconds to minutes. */
const POLL_INTERVAL_MS = 3000;

/** The wire shape of a task (CreateTaskResult without resultType, and tasks/get's DetailedTask). */
export interface TaskView {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number | null;
  pollIntervalMs?: number;
  result?: CallToolResult;
  [key: string]: unknown;
}

const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

/** The caller a request comes from: a named token or a signed-in person ("" for stdio's one user). */
export const ownerOf = (ctx: ServerContext): string => ctx.http?.authInfo?.clientId ?? "";

/**
 * True when the client declared the Tasks extension: in this request's capabilities (the
 * 2026-07-28 `_meta` envelope, which a single request may use to opt in), or for the whole session
 * at initialize (2025-era sessions).
 */
export function declaresTasks(ctx: ServerContext, server?: McpServer): boolean {
  const capabilities = (ctx.mcpReq.envelope as Record<string, { extensions?: Record<string, unknown> } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  if (capabilities?.extensions?.[TASKS_EXTENSION] !== undefined) return true;
  const session = server?.server.getClientCapabilities() as { extensions?: Record<string, unknown> } | undefined;
  return session?.extensions?.[TASKS_EXTENSION] !== undefined;
}

/** registerTools' task starter: a job tool called by a Tasks client may become a task. */
export function jobTaskStarter(deps: Deps, server?: McpServer): TaskStarter {
  return async (tool, args, ctx, call) => (declaresTasks(ctx, server) ? ((await startJobTask(tool, args, deps, call, ownerOf(ctx))) as CallToolResult) : undefined);
}

const keys = new WeakMap<Deps, Buffer>();
function keyOf(deps: Deps): Buffer {
  let key = keys.get(deps);
  if (!key) keys.set(deps, (key = taskIdKey(deps.config.v4BaseUrl, deps.config.sandbox ? "sandbox" : deps.config.apiKey)));
  return key;
}

function unknownTask(taskId: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task ${JSON.stringify(taskId.slice(0, 140))}: not one this server issued for this credential (or it was removed).`);
}

function view(taskId: string, handle: TaskHandle, status: TaskStatus, updatedAt: number, more: Partial<TaskView> = {}): TaskView {
  return {
    taskId,
    status,
    createdAt: new Date(handle.createdAt).toISOString(),
    lastUpdatedAt: new Date(Math.max(updatedAt, handle.createdAt)).toISOString(),
    // The job's file (and so its answer) is kept as long as Clari keeps an export.
    ttlMs: EXPORT_LIFETIME_MS,
    ...(TERMINAL.has(status) ? {} : { pollIntervalMs: POLL_INTERVAL_MS }),
    ...more,
  };
}

function runningMessage(handle: TaskHandle, clariStatus: unknown): string {
  const seconds = Math.round((Date.now() - handle.createdAt) / 1000);
  return `Clari ${handle.kind} job ${handle.jobId}: ${typeof clariStatus === "string" ? clariStatus : "running"}, ${seconds}s since the task began.`;
}

/**
 * A job tool's call from a client that declared the extension: the tool runs without waiting;
 * a job still running becomes a task (recorded before the answer, so tasks/get resolves at once),
 * anything else (reused export, failure, job already ended) is the tool's answer as it is.
 */
export async function startJobTask(tool: ToolDefinition, args: Record<string, unknown>, deps: Deps, call: CallContext, owner: string): Promise<CallToolResult | (TaskView & { resultType: "task" })> {
  const first = await runTool(tool, { ...args, waitSeconds: 0 }, deps, call);
  const structured = first.structuredContent as { outcome?: unknown; jobId?: unknown; status?: unknown } | undefined;
  if (first.isError || structured?.outcome !== "running" || typeof structured.jobId !== "string") return first;
  const handle: TaskHandle = { version: 2, tool: tool.name, kind: tool.task?.jobKind(args) ?? "export", jobId: structured.jobId, createdAt: Date.now() };
  const taskId = sealTaskId(handle, owner, keyOf(deps));
  const statusMessage = runningMessage(handle, structured.status);
  try {
    await deps.tasks.create({ taskId, jobId: handle.jobId, status: "working", owner, detail: { tool: tool.name, kind: handle.kind, statusMessage } });
  } catch (error) {
    if (!(error instanceof TaskExistsError)) return withoutTask(first, handle, error, deps);
  }
  deps.logger.info(`task ${taskId.slice(0, 12)}… for ${tool.name}: Clari ${handle.kind} job ${handle.jobId}`);
  return { resultType: "task", ...view(taskId, handle, "working", handle.createdAt, { statusMessage }) };
}

/**
 * The job is queued but no task could be recorded (the state's disk full, its database down): the
 * tool's own answer, which names the job and how to go on, not an error that hides a queued job.
 * No task is made without its record (a record is what counts a task as waiting on its job).
 */
function withoutTask(first: CallToolResult, handle: TaskHandle, error: unknown, deps: Deps): CallToolResult {
  const why = redactSecrets((error as Error).message ?? String(error));
  deps.logger.warn(`task for ${handle.tool}: Clari ${handle.kind} job ${handle.jobId} runs, but its task could not be recorded (${why}); answered without a task`);
  const note = `No task was made for it: its record could not be written (${why}). The job runs on Clari; follow it with clari_wait_for_job ${JSON.stringify(handle.kind === "ingest" ? { jobId: handle.jobId, kind: "ingest" } : { jobId: handle.jobId })}.`;
  return { ...first, content: [...first.content, { type: "text", text: note }] };
}

/** The task's record, after checking the id is ours and the caller may see it. */
async function lookUp(taskId: string, deps: Deps, owner: string): Promise<{ handle: TaskHandle; record: TaskRecord | undefined }> {
  const key = keyOf(deps);
  const handle = openTaskId(taskId, key);
  if (!handle) throw unknownTask(taskId);
  // The owner is sealed into the id: another caller's task is unknown to this one, record or not.
  if (handle.version === 2 && handle.ownerDigest !== ownerDigest(owner, key)) throw unknownTask(taskId);
  const record = await deps.tasks.get(taskId);
  if (handle.version === 1) {
    // Ids from before the owner was sealed: only their record can say whose they are.
    if (!record || (record.owner !== "" && record.owner !== owner)) throw unknownTask(taskId);
  } else if (record && record.owner !== owner) throw unknownTask(taskId);
  return { handle, record };
}

function recorded(taskId: string, handle: TaskHandle, record: TaskRecord): TaskView {
  const detail = record.detail ?? {};
  const more: Partial<TaskView> = {};
  if (typeof detail.statusMessage === "string") more.statusMessage = detail.statusMessage;
  if (record.status === "completed" && detail.result) more.result = detail.result as CallToolResult;
  if (record.status === "failed" && detail.error) more.error = detail.error;
  return view(taskId, handle, record.status, record.updatedAt, more);
}

/** tasks/get: the job looked at once; its final answer once it has ended. */
export async function getJobTask(taskId: string, deps: Deps, signal: AbortSignal, owner: string): Promise<TaskView> {
  const { handle, record } = await lookUp(taskId, deps, owner);
  if (record && TERMINAL.has(record.status)) return recorded(taskId, handle, record);
  // Never cancels: a tasks/get that is abandoned leaves the job as it is (resume, not a call).
  const call: CallContext = { signal, progress: async () => undefined, isClosing: () => false };
  const result = await runTool(waitForJobTool, { jobId: handle.jobId, kind: handle.kind, waitSeconds: 0 }, deps, call);
  const structured = result.structuredContent as { outcome?: unknown; status?: unknown } | undefined;
  if (!result.isError && structured?.outcome === "running") {
    const statusMessage = runningMessage(handle, structured.status);
    const now = Date.now();
    await save(deps, taskId, handle, record, { status: "working", detail: { ...record?.detail, statusMessage } }, owner);
    return view(taskId, handle, "working", now, { statusMessage });
  }
  // A tasks/cancel may have landed meanwhile: cancelled stays cancelled.
  const latest = await deps.tasks.get(taskId);
  if (latest?.status === "cancelled") return recorded(taskId, handle, latest);
  const statusMessage = result.isError ? "The job ended with an error; the result says what happened." : "The job has ended; the result is the tool's answer.";
  const saved = await save(deps, taskId, handle, latest, { status: "completed", detail: { ...latest?.detail, statusMessage, result } }, owner);
  return view(taskId, handle, "completed", saved?.updatedAt ?? Date.now(), { statusMessage, result });
}

async function save(deps: Deps, taskId: string, handle: TaskHandle, record: TaskRecord | undefined, change: { status: TaskStatus; detail: Record<string, unknown> }, owner: string): Promise<TaskRecord | undefined> {
  if (record) return deps.tasks.update(taskId, change);
  // No record (a server without shared state restarted): the sealed id is enough to go on.
  return deps.tasks.create({ taskId, jobId: handle.jobId, owner, status: change.status, detail: { tool: handle.tool, kind: handle.kind, ...change.detail } }).catch(async (error: unknown) => {
    if (error instanceof TaskExistsError) return deps.tasks.update(taskId, change);
    throw error;
  });
}

/**
 * tasks/cancel: the task ends as cancelled; its Clari export job is cancelled (freeing the
 * quota it holds) when the task's owner queued it, the task is not clari_wait_for_job's, and no
 * other task, call or process still waits on it. Ingest jobs cannot be cancelled in Clari; the
 * task still ends.
 */
export async function cancelJobTask(taskId: string, deps: Deps, owner: string): Promise<Record<string, never>> {
  const { handle, record } = await lookUp(taskId, deps, owner);
  if (record && TERMINAL.has(record.status)) return {};
  let statusMessage = "Cancelled by the client.";
  if (handle.kind === "export" && handle.tool === waitForJobTool.name) {
    // clari_wait_for_job never cancels its job, as a task or not (clari_cancel_export_job does, with its permission).
    statusMessage += ` Clari job ${handle.jobId} keeps running: a task of clari_wait_for_job only stops waiting.`;
  } else if (handle.kind === "export") {
    // Only the caller who queued the job cancels it, and only when nobody else waits: blocking
    // calls here and in other processes, and other tasks.
    const { cancelConfirmed, othersWaiting, queuedByAnother } = await cancelUnlessWaited(deps, handle.jobId, taskId, owner);
    statusMessage += queuedByAnother
      ? ` Clari job ${handle.jobId} keeps running: another caller queued it (or its journal record does not say who did).`
      : othersWaiting > 0
        ? ` Clari job ${handle.jobId} keeps running: ${othersWaiting} other caller(s) or task(s) wait on it.`
        : cancelConfirmed
          ? ` Clari job ${handle.jobId} was cancelled.`
          : ` Cancelling Clari job ${handle.jobId} was not confirmed; see clari_get_export_job.`;
  } else statusMessage += ` Clari ingest job ${handle.jobId} continues (ingest jobs cannot be cancelled).`;
  await save(deps, taskId, handle, record, { status: "cancelled", detail: { ...record?.detail, statusMessage } }, owner);
  deps.logger.info(`task ${taskId.slice(0, 12)}… cancelled: ${statusMessage}`);
  return {};
}

/**
 * tasks/update: delivers answers to a task's input requests. No task of ours ever asks for input,
 * so there is nothing to resume: a task of the caller's acknowledges and stays as it is.
 */
export async function updateJobTask(taskId: string, deps: Deps, owner: string): Promise<Record<string, never>> {
  await lookUp(taskId, deps, owner);
  return {};
}
