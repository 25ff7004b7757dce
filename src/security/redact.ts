/**
 * Secret redaction. Why: every secret the process holds (apikey, partnerkey, HTTP bearer token) may
 * be echoed back by an upstream, and not only literally: base64 (alone or inside a longer base64
 * blob), hex, URL-encoded, JSON-escaped, in another case, or split across two fields. Anything that
 * may leave the process (error messages, logs, tool results, export files) passes through here.
 *
 * Each secret is registered once; its encoded variants are precomputed and compiled into a few
 * global RegExp passes (rebuilt only when the set changes). redactSecrets runs the passes in order;
 * the streaming transform (redact-stream.ts) runs the very same passes, so both agree exactly.
 */

const MARKER = "[redacted]";
/** Encoded variants shorter than this are skipped (too likely to hit ordinary text). */
const MIN_ENCODED = 4;

const secrets = new Set<string>();
let compiled: RedactionPass[] | undefined;

/**
 * One pass of redaction: a global RegExp whose matches (lookahead included) span at most `window`
 * characters and look at most one character behind them (`\b`).
 */
export interface RedactionPass {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
  window: number;
}

/** Remember a secret so it is scrubbed from all outgoing text, in every common encoding. */
export function registerSecret(value: string | undefined): void {
  if (!value || secrets.has(value)) return;
  secrets.add(value);
  compiled = undefined;
}

/** Forget every registered secret (tests only). */
export function resetSecrets(): void {
  secrets.clear();
  compiled = undefined;
}

/**
 * Base64 of the secret as it appears inside a longer base64 string: with 0, 1 or 2 bytes before
 * it, only the characters fed by secret bits alone are stable, whatever the neighbours are.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    cores.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return cores;
}

/** The variants of one secret: `folded` are matched case-insensitively, `exact` (base64) are not. */
export function secretVariants(secret: string): { folded: string[]; exact: string[] } {
  const bytes = Buffer.from(secret, "utf8");
  const uri = encodeURIComponent(secret);
  const json = JSON.stringify(secret).slice(1, -1);
  // Some encoders also escape "/" (PHP) or everything outside ASCII (\u00e9).
  const asciiJson = (text: string) => text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const slashJson = json.replace(/\//g, "\\/");
  const folded = [
    json,
    slashJson,
    asciiJson(json),
    asciiJson(slashJson),
    bytes.toString("hex"),
    uri,
    uri.replace(/%20/g, "+"),
    new URLSearchParams({ s: secret }).toString().slice(2),
  ];
  const base64 = bytes.toString("base64");
  const base64url = bytes.toString("base64url");
  const exact = [base64, base64.replace(/=+$/, ""), base64url, `${base64url}${"=".repeat(base64.length - base64url.length)}`, ...base64Cores(bytes)];
  const keep = (list: string[]) => list.filter((v) => v.length >= MIN_ENCODED);
  return { folded: [...new Set([secret, ...keep(folded)])], exact: [...new Set(keep(exact))] };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/**
 * A character's trie key under flag i: its lower case where that maps one to one and matches it
 * (İ lower-cases to two characters, the Kelvin sign to an ASCII k it does not match): else itself.
 */
function foldKey(ch: string): string {
  const lower = ch.toLowerCase();
  return lower.length === ch.length && lower.toUpperCase() === ch.toUpperCase() ? lower : ch;
}

interface TrieNode {
  end: boolean;
  next: Map<string, TrieNode>;
}

/**
 * The alternatives as one regex source shaped like a trie (`ab(?:c|d(?:e)?)`): the engine then tests
 * one character per step instead of every alternative at every position, and, greedy, it still
 * takes the longest alternative that matches. `fold` builds the trie on lower-cased text (flag i).
 */
function trieSource(alternatives: string[], fold: boolean): string {
  const root: TrieNode = { end: false, next: new Map() };
  for (const alternative of alternatives) {
    let node = root;
    for (const raw of alternative) {
      const ch = fold ? foldKey(raw) : raw;
      let child = node.next.get(ch);
      if (!child) node.next.set(ch, (child = { end: false, next: new Map() }));
      node = child;
    }
    node.end = true;
  }
  const render = (node: TrieNode): string => {
    const branches = [...node.next].map(([ch, child]) => escapeRegExp(ch) + render(child));
    if (branches.length === 0) return "";
    const group = branches.length === 1 ? branches[0]! : `(?:${branches.join("|")})`;
    return node.end ? `(?:${group})?` : group;
  };
  return render(root);
}

/** One pass for a list of literal alternatives; an existing marker is matched first and kept, so redaction is idempotent. */
function literalPass(alternatives: string[], fold: boolean): RedactionPass | undefined {
  if (alternatives.length === 0) return undefined;
  const longest = Math.max(...alternatives.map((a) => a.length));
  const pattern = new RegExp(`${escapeRegExp(MARKER)}|${trieSource(alternatives, fold)}`, fold ? "gi" : "g");
  return { pattern, replace: () => MARKER, window: Math.max(MARKER.length, longest) };
}

// Header-like patterns catch secrets we were never told about (e.g. echoed by an upstream). Their
// parts are bounded so a stream can be scrubbed with a bounded tail; a value longer than
// HEADER_VALUE_MAX characters keeps its remainder.
const SPACE_MAX = 16;
const HEADER_VALUE_MAX = 4096;
const HEADER_PASSES: RedactionPass[] = [
  {
    pattern: new RegExp(`\\b(apikey|partnerkey|api[_-]?key|partner[_-]?key|x-api-key)(["']?\\s{0,${SPACE_MAX}}[:=]\\s{0,${SPACE_MAX}}["']?)[^\\s"',;}&]{1,${HEADER_VALUE_MAX}}`, "gi"),
    replace: (_m, name, sep) => `${name}${sep}${MARKER}`,
    window: "partner_key".length + 3 + 2 * SPACE_MAX + HEADER_VALUE_MAX,
  },
  {
    pattern: new RegExp(`\\b(Bearer)(\\s{1,${SPACE_MAX}})[A-Za-z0-9._~+/=-]{1,${HEADER_VALUE_MAX}}`, "g"),
    replace: (_m, name, sep) => `${name}${sep}${MARKER}`,
    window: "Bearer".length + SPACE_MAX + HEADER_VALUE_MAX,
  },
];

/** The passes redactSecrets runs, in order (compiled once per change of the secret set). */
export function redactionPasses(): readonly RedactionPass[] {
  if (compiled) return compiled;
  const folded: string[] = [];
  const exact: string[] = [];
  for (const secret of secrets) {
    const variants = secretVariants(secret);
    folded.push(...variants.folded);
    exact.push(...variants.exact);
  }
  compiled = [literalPass(folded, true), literalPass(exact, false), ...HEADER_PASSES].filter((p): p is RedactionPass => p !== undefined);
  return compiled;
}

/** The passes that match registered secrets' variants only (no header patterns). */
function variantPasses(): readonly RedactionPass[] {
  return redactionPasses().filter((p) => !HEADER_PASSES.includes(p));
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const pass of redactionPasses()) out = out.replace(pass.pattern, pass.replace as (m: string, ...g: unknown[]) => string);
  return out;
}

/** Where registered-secret variants occur in text: [start, end) ranges, marker excluded. */
function variantRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const { pattern } of variantPasses()) {
    for (const m of text.matchAll(pattern)) if (m[0] !== MARKER) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

/**
 * A secret split across sibling fields: concatenate the string values of one object (or array),
 * in order; every string that takes part in a variant found there is replaced by the marker.
 */
function redactSplit(strings: Array<{ set: (v: string) => void; value: string }>): void {
  if (strings.length < 2) return;
  const starts: number[] = [];
  let joined = "";
  for (const s of strings) {
    starts.push(joined.length);
    joined += s.value;
  }
  for (const [start, end] of variantRanges(joined)) {
    strings.forEach((s, i) => {
      const from = starts[i]!;
      if (from < end && from + s.value.length > start) s.set(MARKER);
    });
  }
}

/**
 * Scrub structured data with JSON semantics (the result is what JSON.stringify would carry:
 * toJSON applied, undefined and functions dropped): every string value and object key goes
 * through redactSecrets, then redactSplit catches a secret split across one object's fields.
 */
export function redactDeep<T>(value: T): T {
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  return JSON.parse(json, function (this: unknown, _key: string, v: unknown) {
    if (typeof v === "string") return redactSecrets(v);
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
      redactSplit(v.flatMap((item, i) => (typeof item === "string" ? [{ value: item, set: (s: string) => (v[i] = s) }] : [])));
      return v;
    }
    const out: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key stays a plain field, as JSON.parse made it.
    for (const [key, item] of Object.entries(v as Record<string, unknown>)) Object.defineProperty(out, redactSecrets(key), { value: item, enumerable: true, writable: true, configurable: true });
    redactSplit(Object.entries(out).flatMap(([key, item]) => (typeof item === "string" ? [{ value: item, set: (s: string) => (out[key] = s) }] : [])));
    return out;
  }) as T;
}
