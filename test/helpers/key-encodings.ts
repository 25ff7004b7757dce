/**
 * The forms a leaked key could take, computed here independently of src/security/redact.ts: what a
 * hostile upstream echoes (`echoesOf`) and what a test searches its captures for (`findLeaks`).
 */
import { randomBytes } from "node:crypto";

/** The key's encodings, by name (each a whole string an upstream could send back). */
export function encodingsOf(key: string): Record<string, string> {
  const bytes = Buffer.from(key, "utf8");
  const uri = encodeURIComponent(key);
  return {
    literal: key,
    upper: key.toUpperCase(),
    lower: key.toLowerCase(),
    base64: bytes.toString("base64"),
    base64NoPadding: bytes.toString("base64").replace(/=+$/, ""),
    base64url: bytes.toString("base64url"),
    hexLower: bytes.toString("hex"),
    hexUpper: bytes.toString("hex").toUpperCase(),
    uriComponent: uri,
    uriLowerPercent: uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    formPlus: uri.replace(/%20/g, "+"),
    jsonEscaped: JSON.stringify(key).slice(1, -1),
    jsonAsciiSlashes: JSON.stringify(key)
      .slice(1, -1)
      .replace(/\//g, "\\/")
      .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`),
  };
}

/**
 * Base64 of the key sitting `offset` bytes into other data. Only some characters are fed by key
 * bits alone: found by encoding with all-zero and all-one neighbours; the longest run where they agree.
 */
export function embeddedBase64Core(key: string, offset: number): string {
  const bytes = Buffer.from(key, "utf8");
  const wrap = (fill: number) => Buffer.concat([Buffer.alloc(offset, fill), bytes, Buffer.alloc(3, fill)]).toString("base64");
  const [zeros, ones] = [wrap(0x00), wrap(0xff)];
  let core = "";
  let run = "";
  for (let i = 0; i < zeros.length; i++) {
    run = zeros[i] === ones[i] ? run + zeros[i] : "";
    if (run.length > core.length) core = run;
  }
  return core;
}

/** The key's two halves, as an upstream splitting it across two fields would send them. */
export function halvesOf(key: string): [string, string] {
  const half = Math.ceil(key.length / 2);
  return [key.slice(0, half), key.slice(half)];
}

/** What a hostile upstream puts in its bodies: every encoding, and the key's base64 inside longer base64 at offsets 0, 1 and 2. */
export function echoesOf(key: string): string[] {
  const embedded = [0, 1, 2].map((offset) => Buffer.concat([randomBytes(6 + offset), Buffer.from(key, "utf8"), randomBytes(5)]).toString("base64"));
  return [...Object.values(encodingsOf(key)), ...embedded];
}

/** The names of the key's forms found in text ([] when none): case-insensitive except base64. */
export function findLeaks(text: string, key: string): string[] {
  const lower = text.toLowerCase();
  const encodings = encodingsOf(key);
  const exact = new Set(["base64", "base64NoPadding", "base64url"]);
  const leaks = Object.entries(encodings)
    .filter(([name, form]) => (exact.has(name) ? text.includes(form) : lower.includes(form.toLowerCase())))
    .map(([name]) => name);
  for (const offset of [0, 1, 2]) {
    const core = embeddedBase64Core(key, offset);
    if (text.includes(core) || text.includes(core.replace(/\+/g, "-").replace(/\//g, "_"))) leaks.push(`base64 at offset ${offset}`);
  }
  halvesOf(key).forEach((half, i) => lower.includes(half.toLowerCase()) && leaks.push(`half ${i + 1}`));
  return leaks;
}
