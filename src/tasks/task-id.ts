/**
 * Task ids that carry their own job and owner: the tool's name, the job's kind and jobId, when
 * the task was made and a digest of its owner's identity, sealed with an HMAC keyed by the Clari
 * credential. Any replica, and the same server after a restart (even with no state kept), can read
 * a task id it issued, check it was not forged, and tell whether the caller is its owner; a
 * missing record never makes a stranger its owner. The id holds no secret (the jobId is Clari's,
 * the owner is a digest).
 *
 * Format v2: base64url("2" kind createdAt36 "." ownerDigest "." tool "." jobId) + MAC.
 * Format v1 (before the owner was sealed): base64url(position kind createdAt36 "." jobId) + MAC,
 * with the tool as a position in V1_TOOLS; still read until such tasks expire, but only a task
 * whose record names its owner is served (see job-tasks.ts).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type JobKind = "export" | "ingest";

export interface TaskHandle {
  tool: string;
  kind: JobKind;
  jobId: string;
  /** Epoch ms. */
  createdAt: number;
  /** v2: the digest of the owner the id was issued to; v1 ids have none (their record decides). */
  ownerDigest?: string;
  version: 1 | 2;
}

/** The order v1 ids numbered the job tools in; frozen, only for reading ids issued before v2. */
const V1_TOOLS = ["clari_export_forecast", "clari_export_audit_events", "clari_export_activity", "clari_ingest_bulk", "clari_wait_for_job"] as const;

/** The MAC's length in base64url characters (16 bytes). */
const MAC_CHARS = 22;

export function taskIdKey(baseUrl: string, apiKey: string | undefined): Buffer {
  return createHmac("sha256", `${baseUrl}\n${apiKey ?? ""}`).update("clari-mcp task ids v1").digest();
}

/** A caller's identity as sealed into its task ids ("" is the one local user of stdio). */
export function ownerDigest(owner: string, key: Buffer): string {
  return createHash("sha256").update(key).update("\0owner\0").update(owner).digest().subarray(0, 12).toString("base64url");
}

function mac(payload: string, key: Buffer): string {
  return createHmac("sha256", key).update(payload).digest().subarray(0, 16).toString("base64url");
}

export function sealTaskId(handle: Omit<TaskHandle, "ownerDigest" | "version">, owner: string, key: Buffer): string {
  const body = `2${handle.kind === "ingest" ? "i" : "e"}${handle.createdAt.toString(36)}.${ownerDigest(owner, key)}.${handle.tool}.${handle.jobId}`;
  const payload = Buffer.from(body).toString("base64url");
  return payload + mac(payload, key);
}

/** The handle a task id stands for, or undefined when it is not one this credential issued. */
export function openTaskId(taskId: string, key: Buffer): TaskHandle | undefined {
  if (taskId.length <= MAC_CHARS || !/^[A-Za-z0-9_-]+$/.test(taskId)) return undefined;
  const payload = taskId.slice(0, -MAC_CHARS);
  const given = Buffer.from(taskId.slice(-MAC_CHARS));
  const expected = Buffer.from(mac(payload, key));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const body = Buffer.from(payload, "base64url").toString();
  const v2 = /^2([ei])([0-9a-z]+)\.([A-Za-z0-9_-]{16})\.(clari_[a-z_]+)\.(.+)$/s.exec(body);
  if (v2) return { version: 2, kind: v2[1] === "i" ? "ingest" : "export", createdAt: parseInt(v2[2] as string, 36), ownerDigest: v2[3] as string, tool: v2[4] as string, jobId: v2[5] as string };
  const v1 = /^(\d)([ei])([0-9a-z]+)\.(.+)$/s.exec(body);
  const tool = v1 ? V1_TOOLS[Number(v1[1])] : undefined;
  if (!v1 || !tool) return undefined;
  return { version: 1, tool, kind: v1[2] === "i" ? "ingest" : "export", jobId: v1[4] as string, createdAt: parseInt(v1[3] as string, 36) };
}
