/**
 * Task ids that carry their own job: the tool, the job's kind and jobId, and when the task was
 * made, sealed with an HMAC keyed by the Clari credential. Any replica, and the same server after
 * a restart (even with no state kept), can read a task id it issued and check it was not forged;
 * a task id from another credential is refused. The id holds no secret (the jobId is Clari's).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const JOB_TASK_TOOLS = ["clari_export_forecast", "clari_export_audit_events", "clari_export_activity", "clari_ingest_bulk", "clari_wait_for_job"] as const;
export type JobTaskTool = (typeof JOB_TASK_TOOLS)[number];
export type JobKind = "export" | "ingest";

export interface TaskHandle {
  tool: JobTaskTool;
  kind: JobKind;
  jobId: string;
  /** Epoch ms. */
  createdAt: number;
}

/** The MAC's length in base64url characters (16 bytes). */
const MAC_CHARS = 22;

export function taskIdKey(baseUrl: string, apiKey: string | undefined): Buffer {
  return createHmac("sha256", `${baseUrl}\n${apiKey ?? ""}`).update("clari-mcp task ids v1").digest();
}

function mac(payload: string, key: Buffer): string {
  return createHmac("sha256", key).update(payload).digest().subarray(0, 16).toString("base64url");
}

export function sealTaskId(handle: TaskHandle, key: Buffer): string {
  const payload = Buffer.from(`${JOB_TASK_TOOLS.indexOf(handle.tool)}${handle.kind === "ingest" ? "i" : "e"}${handle.createdAt.toString(36)}.${handle.jobId}`).toString("base64url");
  return payload + mac(payload, key);
}

/** The handle a task id stands for, or undefined when it is not one this credential issued. */
export function openTaskId(taskId: string, key: Buffer): TaskHandle | undefined {
  if (taskId.length <= MAC_CHARS || !/^[A-Za-z0-9_-]+$/.test(taskId)) return undefined;
  const payload = taskId.slice(0, -MAC_CHARS);
  const given = Buffer.from(taskId.slice(-MAC_CHARS));
  const expected = Buffer.from(mac(payload, key));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const match = /^(\d)([ei])([0-9a-z]+)\.(.+)$/s.exec(Buffer.from(payload, "base64url").toString());
  const tool = match ? JOB_TASK_TOOLS[Number(match[1])] : undefined;
  if (!match || !tool) return undefined;
  return { tool, kind: match[2] === "i" ? "ingest" : "export", jobId: match[4] as string, createdAt: parseInt(match[3] as string, 36) };
}
