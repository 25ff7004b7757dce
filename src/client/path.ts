/**
 * Safe path building: every interpolated value becomes exactly one encoded path segment, so an id
 * holding "/", "?", "#", "%2F" or ".." can never address another endpoint.
 */
import { ClariConfigError } from "./errors.js";

export function encodeSegment(value: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new ClariConfigError(`Invalid path segment ${JSON.stringify(value)}: ids cannot be empty, "." or "..".`);
  }
  if (!value.isWellFormed()) throw new ClariConfigError("Invalid path segment: ids must be well-formed text.");
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ClariConfigError("Invalid path segment: ids cannot contain control characters.");
  }
  return encodeURIComponent(value);
}

/** Tagged template: apiPath`/export/jobs/${jobId}/results`. */
export function apiPath(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += encodeSegment(value) + (strings[i + 1] ?? "");
  });
  return out;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined | null;

/** Query string with repeated keys for arrays (Clari's `oppId=A&oppId=B` style). */
export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
