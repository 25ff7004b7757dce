/**
 * The audit trail's one writer: every tool call, once it has its answer, becomes a row (who, when,
 * which tool, the arguments with secrets removed, the outcome and the error's first line, the
 * exports it queued, how long it took) in the state backend's audit trail. Recording never fails
 * the call and never holds it long: an error is logged, and a store slower than RECORD_WAIT_MS is
 * left to finish in the background.
 */
import type { AuthInfo, CallToolResult } from "@modelcontextprotocol/server";
import type { Logger } from "../../logger.js";
import { auditId } from "../../state/audit-trail.js";
import type { AuditRow, AuditStorage } from "../../state/backend.js";
import { redactSecrets } from "../../security/redact.js";
import { redactDeep } from "../../security/redact-deep.js";

/** The arguments kept per row (an ingest call's inline dataset can be megabytes). */
export const ARGS_CHARS = 4096;
const ERROR_CHARS = 500;
/** How long a call's answer waits for its row to be written. */
const RECORD_WAIT_MS = 2000;

export interface CallToRecord {
  tool: string;
  args: unknown;
  authInfo: AuthInfo | undefined;
  startedAt: number;
  /** The answer, or what was thrown instead. */
  result: CallToolResult | undefined;
  thrown?: unknown;
  exportsQueued: number;
}

/** The person's email or name, when their token carries one. */
export function callerName(authInfo: AuthInfo | undefined): string | undefined {
  const extra = authInfo?.extra ?? {};
  for (const key of ["email", "name", "preferred_username"]) if (typeof extra[key] === "string" && extra[key]) return extra[key] as string;
  return undefined;
}

function argsText(args: unknown): string {
  let text: string;
  try {
    text = redactSecrets(JSON.stringify(redactDeep(args ?? {})) ?? "{}");
  } catch {
    text = "{}";
  }
  return text.length <= ARGS_CHARS ? text : JSON.stringify({ truncated: true, chars: text.length, start: text.slice(0, ARGS_CHARS - 100) });
}

function firstLine(result: CallToolResult | undefined, thrown: unknown): string | undefined {
  const text = thrown !== undefined ? (thrown instanceof Error ? thrown.message : String(thrown)) : result?.isError ? (result.content ?? []).map((c) => (c.type === "text" ? c.text : "")).join("\n") : undefined;
  if (text === undefined) return undefined;
  return redactSecrets(text.split("\n")[0] ?? "").slice(0, ERROR_CHARS);
}

export function auditRow(call: CallToRecord, now: number = Date.now()): AuditRow {
  const failed = call.thrown !== undefined || call.result?.isError === true;
  const error = failed ? firstLine(call.result, call.thrown) : undefined;
  const name = callerName(call.authInfo);
  return {
    id: auditId(call.startedAt),
    at: call.startedAt,
    caller: call.authInfo?.clientId ?? "",
    ...(name ? { callerName: redactSecrets(name) } : {}),
    tool: call.tool,
    args: argsText(call.args),
    outcome: failed ? "error" : "ok",
    ...(error !== undefined ? { error } : {}),
    quotaSpent: Math.max(0, call.exportsQueued),
    ms: Math.max(0, now - call.startedAt),
  };
}

/** Writes the call's row; never throws, and waits at most RECORD_WAIT_MS. */
export async function recordCall(audit: AuditStorage, logger: Logger, call: CallToRecord): Promise<void> {
  let row: AuditRow;
  try {
    row = auditRow(call);
  } catch (error) {
    logger.warn(`audit trail: the call to ${call.tool} could not be described (${(error as Error).message})`);
    return;
  }
  const written = audit.append(row).catch((error: unknown) => logger.warn(`audit trail: the call to ${call.tool} could not be recorded (${redactSecrets((error as Error).message)})`));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([written, new Promise<void>((resolve) => (timer = setTimeout(resolve, RECORD_WAIT_MS)))]);
  clearTimeout(timer);
}
