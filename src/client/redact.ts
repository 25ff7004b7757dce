/**
 * Secret redaction. Every secret the process holds (apikey, partnerkey, HTTP bearer token) is
 * registered once at start-up; any text that may leave the process (error messages, logs, tool
 * results) passes through redactSecrets so a secret echoed back by an upstream cannot leak.
 */
const secrets = new Set<string>();

/** Remember a secret value so it is scrubbed from all outgoing text. Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

// Header-like patterns catch secrets we were never told about (e.g. echoed by an upstream).
const HEADER_PATTERNS: RegExp[] = [
  /\b(apikey|partnerkey|api[_-]?key|partner[_-]?key|x-api-key)(["']?\s*[:=]\s*["']?)[^\s"',;}&]+/gi,
  /\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]+/g,
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  for (const pattern of HEADER_PATTERNS) out = out.replace(pattern, "$1$2[redacted]");
  return out;
}
