/**
 * Opaque cursors: Clari's nextLink travels as base64url so assistants pass it back untouched.
 * The client still checks, when following it, that it points at the configured Clari origin.
 */
import { ToolInputError } from "./describe-error.js";

export function encodeCursor(nextLink: string): string {
  return Buffer.from(nextLink, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new ToolInputError("The cursor is not one this server issued; pass nextCursor exactly as returned, or omit it to start again.");
  return Buffer.from(cursor, "base64url").toString("utf8");
}
