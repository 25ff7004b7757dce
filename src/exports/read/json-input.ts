/** Shared input handling for the small JSON exports (audit, activity). */

/** Accepts parsed JSON, or JSON text as a string or bytes. */
export function parseJsonInput(input: unknown): unknown {
  if (typeof input === "string") return input.trim() === "" ? null : JSON.parse(input);
  if (input instanceof Uint8Array) {
    const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8");
    return parseJsonInput(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }
  return input;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string for ids and labels: numbers become strings, anything else "". */
export function text(v: unknown): string {
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return String(v);
  return "";
}
