/**
 * Task records for MCP Tasks: which request or Clari job a task stands for, its status and who
 * owns it, shared by every process on the same state (folder or database), so a task created on
 * one replica can be looked up and updated on another. `deps.tasks` is the way in.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { redactDeep } from "../security/redact-deep.js";
import type { StoreLock } from "./lock.js";

/** MCP Tasks' statuses. */
export const TASK_STATUSES = ["working", "input_required", "completed", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

const taskSchema = z.object({
  taskId: z.string().regex(TASK_ID),
  /** The export's canonical request key (request-key.ts), when the task stands for one. */
  requestKey: z.string().optional(),
  jobId: z.string().optional(),
  status: z.enum(TASK_STATUSES),
  /** Who may see it (a session or client id); "" when nobody in particular. */
  owner: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Anything else the Tasks layer keeps (a status message, the result's shape); scrubbed of secrets. */
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type TaskRecord = z.output<typeof taskSchema>;

export interface NewTask {
  /** Chosen here (a UUID) when not given. */
  taskId?: string;
  requestKey?: string;
  jobId?: string;
  status?: TaskStatus;
  owner?: string;
  detail?: Record<string, unknown>;
}

export type TaskChange = Partial<Pick<TaskRecord, "status" | "requestKey" | "jobId" | "detail">>;

export interface TaskFilter {
  owner?: string;
  status?: TaskStatus;
  requestKey?: string;
  jobId?: string;
  /** Most records returned, newest first (default 100). */
  limit?: number;
}

export interface TaskRecords {
  /** Fails when a task with that id exists. */
  create(task: NewTask): Promise<TaskRecord>;
  get(taskId: string): Promise<TaskRecord | undefined>;
  /** Atomic read-modify-write; undefined when there is no such task. */
  update(taskId: string, change: TaskChange): Promise<TaskRecord | undefined>;
  /** Newest first (by createdAt). */
  list(filter?: TaskFilter): Promise<TaskRecord[]>;
  remove(taskId: string): Promise<void>;
}

export class TaskExistsError extends Error {
  override readonly name = "TaskExistsError";
}

export function newTaskRecord(task: NewTask, now = Date.now()): TaskRecord {
  const taskId = task.taskId ?? randomUUID();
  if (!TASK_ID.test(taskId)) throw new Error(`A task id is 1-128 letters, digits, - or _ (got ${JSON.stringify(taskId.slice(0, 40))}).`);
  return redactDeep(
    taskSchema.parse({ taskId, requestKey: task.requestKey, jobId: task.jobId, status: task.status ?? "working", owner: task.owner ?? "", createdAt: now, updatedAt: now, detail: task.detail }),
  );
}

export function changedTask(record: TaskRecord, change: TaskChange, now = Date.now()): TaskRecord {
  const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
  return redactDeep(taskSchema.parse({ ...record, ...defined, updatedAt: Math.max(now, record.updatedAt) }));
}

export function parseTask(value: unknown): TaskRecord | undefined {
  const parsed = taskSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function matches(record: TaskRecord, filter: TaskFilter): boolean {
  return (
    (filter.owner === undefined || record.owner === filter.owner) &&
    (filter.status === undefined || record.status === filter.status) &&
    (filter.requestKey === undefined || record.requestKey === filter.requestKey) &&
    (filter.jobId === undefined || record.jobId === filter.jobId)
  );
}

function newestFirst(records: TaskRecord[], limit = 100): TaskRecord[] {
  return records.sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? -1 : 1)).slice(0, limit);
}

function checkId(taskId: string): void {
  if (!TASK_ID.test(taskId)) throw new Error(`Not a task id: ${JSON.stringify(taskId.slice(0, 40))}.`);
}

export function memoryTasks(): TaskRecords {
  const records = new Map<string, TaskRecord>();
  return {
    async create(task) {
      const record = newTaskRecord(task);
      if (records.has(record.taskId)) throw new TaskExistsError(`Task ${record.taskId} exists.`);
      records.set(record.taskId, record);
      return { ...record };
    },
    async get(taskId) {
      const record = records.get(taskId);
      return record && { ...record };
    },
    async update(taskId, change) {
      const record = records.get(taskId);
      if (!record) return undefined;
      const next = changedTask(record, change);
      records.set(taskId, next);
      return { ...next };
    },
    async list(filter = {}) {
      return newestFirst([...records.values()].filter((r) => matches(r, filter)).map((r) => ({ ...r })), filter.limit);
    },
    async remove(taskId) {
      records.delete(taskId);
    },
  };
}

/** One small file per task under `<store>/tasks/`, every change under the store folder's lock. */
export function folderTasks(dir: string, lock: StoreLock): TaskRecords {
  const file = (taskId: string): string => {
    checkId(taskId);
    return path.join(dir, `${taskId}.json`);
  };
  const readOne = async (taskId: string): Promise<TaskRecord | undefined> => {
    try {
      return parseTask(JSON.parse(await readFile(file(taskId), "utf8")));
    } catch {
      return undefined; // absent, or damaged: not a task
    }
  };
  const writeOne = async (record: TaskRecord): Promise<void> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${file(record.taskId)}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
      await rename(temp, file(record.taskId));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  };
  return {
    create: (task) =>
      lock.run(async () => {
        const record = newTaskRecord(task);
        if (await readOne(record.taskId)) throw new TaskExistsError(`Task ${record.taskId} exists.`);
        await writeOne(record);
        return record;
      }),
    get: (taskId) => readOne(taskId),
    update: (taskId, change) =>
      lock.run(async () => {
        const record = await readOne(taskId);
        if (!record) return undefined;
        const next = changedTask(record, change);
        await writeOne(next);
        return next;
      }),
    async list(filter = {}) {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".json"));
      const records = await Promise.all(names.map((n) => readOne(n.slice(0, -5))));
      return newestFirst(records.filter((r): r is TaskRecord => r !== undefined && matches(r, filter)), filter.limit);
    },
    remove: (taskId) => lock.run(() => rm(file(taskId), { force: true })),
  };
}
