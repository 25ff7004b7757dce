/** Small helpers shared by the resource handlers. */
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";

export function jsonContent(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, 1) }] };
}

/** A URI template variable as one string (templates may yield arrays). */
export function variable(variables: Record<string, string | string[]>, name: string): string {
  const value = variables[name];
  const text = Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
  return decodeURIComponent(text);
}
