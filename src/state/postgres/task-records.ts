/** Task records on Postgres: one row each in clari_mcp_tasks, updated atomically under a row lock. */
import type pg from "pg";
import { changedTask, matches, newTaskRecord, parseTask, TaskExistsError, TASK_ID, type TaskRecord, type TaskRecords } from "../task-records.js";
import { transaction, type Query } from "./db.js";

function taskOf(row: Record<string, unknown>): TaskRecord | undefined {
  let detail: unknown;
  try {
    detail = row.detail == null ? undefined : JSON.parse(String(row.detail));
  } catch {
    detail = undefined;
  }
  return parseTask({
    taskId: row.task_id,
    requestKey: row.request_key ?? undefined,
    jobId: row.job_id ?? undefined,
    status: row.status,
    owner: row.owner,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    detail,
  });
}

function taskValues(scope: string, r: TaskRecord): unknown[] {
  return [scope, r.taskId, r.requestKey ?? null, r.jobId ?? null, r.status, r.owner, r.createdAt, r.updatedAt, r.detail === undefined ? null : JSON.stringify(r.detail)];
}

export function pgTasks(pool: pg.Pool, q: Query, scope: string): TaskRecords {
  const checkId = (taskId: string): void => {
    if (!TASK_ID.test(taskId)) throw new Error(`Not a task id: ${JSON.stringify(taskId.slice(0, 40))}.`);
  };
  return {
    async create(task) {
      const record = newTaskRecord(task);
      const inserted = await q(
        "INSERT INTO clari_mcp_tasks (scope, task_id, request_key, job_id, status, owner, created_at, updated_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (scope, task_id) DO NOTHING",
        taskValues(scope, record),
      );
      if (inserted.rowCount !== 1) throw new TaskExistsError(`Task ${record.taskId} exists.`);
      return record;
    },
    async get(taskId) {
      if (!TASK_ID.test(taskId)) return undefined;
      const row = (await q("SELECT * FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2", [scope, taskId])).rows[0];
      return row ? taskOf(row) : undefined;
    },
    async update(taskId, change) {
      checkId(taskId);
      return transaction(pool, async (t) => {
        const row = (await t("SELECT * FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2 FOR UPDATE", [scope, taskId])).rows[0];
        const record = row ? taskOf(row) : undefined;
        if (!record) return undefined;
        const next = changedTask(record, change);
        await t("UPDATE clari_mcp_tasks SET request_key = $3, job_id = $4, status = $5, owner = $6, created_at = $7, updated_at = $8, detail = $9 WHERE scope = $1 AND task_id = $2", taskValues(scope, next));
        return next;
      });
    },
    async list(filter = {}) {
      const where = ["scope = $1"];
      const values: unknown[] = [scope];
      for (const [column, value] of [["owner", filter.owner], ["status", filter.status], ["request_key", filter.requestKey], ["job_id", filter.jobId]] as const) {
        if (value === undefined) continue;
        values.push(value);
        where.push(`${column} = $${values.length}`);
      }
      values.push(filter.limit ?? 100);
      const rows = (await q(`SELECT * FROM clari_mcp_tasks WHERE ${where.join(" AND ")} ORDER BY created_at DESC, task_id LIMIT $${values.length}`, values)).rows;
      return rows.map(taskOf).filter((r): r is TaskRecord => r !== undefined && matches(r, filter));
    },
    async remove(taskId) {
      checkId(taskId);
      await q("DELETE FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2", [scope, taskId]);
    },
  };
}
