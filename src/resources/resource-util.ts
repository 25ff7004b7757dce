/** Small helpers shared by the resource handlers. */
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, type ReadResourceResult } from "@modelcontextprotocol/server";
import { ClariApiError } from "../client/errors.js";
import { redactSecrets } from "../security/redact.js";
import { JOB_ID } from "../client/ids.js";

/** Resource text leaves the process: scrub secrets an upstream may have echoed. */
export function textContent(uri: string, mimeType: string, text: string): ReadResourceResult {
  return { contents: [{ uri, mimeType, text: redactSecrets(text) }] };
}

export function jsonContent(uri: string, value: unknown): ReadResourceResult {
  return textContent(uri, "application/json", JSON.stringify(value, null, 1));
}

/** A bad URI is the caller's mistake: answer InvalidParams with what is wrong. */
export function invalidUri(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message);
}

/**
 * A well-formed URI naming nothing (an export Clari does not know, a forecast never exported):
 * the protocol's resource-not-found error (SEP-2164: -32602 with the URI in its data), with our
 * hint of where such a resource comes from.
 */
export function notFound(uri: string, message: string): ResourceNotFoundError {
  return new ResourceNotFoundError(uri, message);
}

/** Reads `uri` by `read`; Clari answering 404 for the job behind it means the resource does not exist. */
export async function readOrNotFound<T>(uri: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ClariApiError && error.status === 404) throw notFound(uri, `${uri} names no export Clari knows: ${error.message}`);
    throw error;
  }
}

/** A URI template variable as one decoded string (templates may yield arrays). */
export function variable(variables: Record<string, string | string[]>, name: string): string {
  const value = variables[name];
  const text = Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidUri(`The ${name} in the URI is not validly %-encoded.`);
  }
}

/** A jobId from a URI, held to the same rule as the tools' jobId input, before any request. */
export function jobIdVariable(variables: Record<string, string | string[]>): string {
  const jobId = variable(variables, "jobId");
  if (!JOB_ID.test(jobId)) throw invalidUri(`${JSON.stringify(jobId.slice(0, 80))} is not a jobId (letters, digits, '-' or '_'; Clari's are 24 hex characters).`);
  return jobId;
}
