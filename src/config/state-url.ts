/**
 * The state URL (--state, CLARI_MCP_STATE_URL) as it may be shown, and its password as a secret to
 * scrub: it holds a password, so it is never logged or shown as is.
 */
/**
 * True when an "@" comes after the URL's authority (which ends at the first "/", "?" or "#" after
 * "//"): the user or password holds a character that should have been percent-encoded, so a URL
 * parser would take part of the password for the host, path or fragment.
 */
export function hasStrayAt(url: string): boolean {
  const start = url.indexOf("//");
  if (start < 0) return false;
  const rest = url.slice(start + 2);
  const end = rest.search(/[/?#]/);
  return end >= 0 && rest.slice(end).includes("@");
}

export const schemeOf = (url: string): string => /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? "(not a URL)";

/**
 * The state URL as it may be shown: its password (and any password-like query parameter) hidden.
 * A URL that does not parse, or whose password a parser would split (an unencoded "@", "/", "?" or
 * "#"), shows its scheme only: any other part may hold some of the password.
 */
export function redactStateUrl(url: string): string {
  if (hasStrayAt(url) || !url.includes("//")) return `${schemeOf(url)}//***`;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    for (const name of [...parsed.searchParams.keys()]) if (/pass|secret|key|token/i.test(name)) parsed.searchParams.set(name, "***");
    return parsed.toString().replace(/%2A%2A%2A/g, "***");
  } catch {
    return `${schemeOf(url)}//***`;
  }
}

/** The state URL's password as a secret to scrub, decoded and as written (undefined when it has none). */
export function stateUrlPasswords(url: string | undefined): string[] {
  if (!url || hasStrayAt(url) || !url.includes("//")) return [];
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // A stray "%" (not an escape) stays as written.
    }
    return [...new Set([decoded, raw])];
  } catch {
    return [];
  }
}
