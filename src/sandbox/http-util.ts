/**
 * Small request helpers: bounded body reading, lenient JSON parsing, list and boolean parameters.
 */
import type { IncomingMessage } from "node:http";

/** Bodies larger than this are refused with 413 without being buffered. */
export const MAX_BODY_BYTES = 11 * 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" };

/** Read a request body up to `limit` bytes; stops buffering as soon as the limit is crossed. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, reason: "too_large" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult): void => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onError);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, reason: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onError);
  });
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; text: string };

/** Parse a JSON body; an empty body is `undefined`. */
export function parseJsonBody(body: Buffer): JsonResult {
  const text = body.toString("utf8");
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, text };
  }
}

/** A list parameter given repeated (`?a=x&a=y`) and/or comma separated (`?a=x,y`). */
export function queryList(q: URLSearchParams, name: string): string[] | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  return all.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** true/false from a boolean or its string form; undefined when absent; null when invalid. */
export function toBool(v: unknown): boolean | undefined | null {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return null;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
