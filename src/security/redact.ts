/**
 * Secret redaction. Why: every secret the process holds (apikey, partnerkey, HTTP bearer token,
 * database password) may be echoed back by an upstream, and not only literally: in any letter case,
 * base64 or base64url (alone or inside a longer base64 blob), hex, with any of its characters
 * percent-encoded, JSON-escaped (`\u`) or written as HTML entities (nested up to three deep), with
 * zero-width or whitespace characters inserted, or split across the fields of one object. Anything
 * that may leave the process (error messages, logs, tool results, export files) passes through here.
 *
 * Each secret is registered once; its variants (literal, hex, base64 forms) are compiled into a
 * few global RegExp passes (rebuilt only when the set changes). Variants of 8 characters or more
 * are looked for in the text's canonical form (canonical.ts: ignorable characters dropped,
 * escapes decoded), redacting the original span of each match; shorter ones only as written
 * (without its spaces, ordinary text would match them). redactSecrets runs the stages in order;
 * the streaming transform (redact-stream.ts) runs the very same stages, so both agree.
 */
import { canonicalize, canonicalText, canonicalTexts, hasIntroducer, IGNORABLES, INTRODUCERS, MAX_SPAN, type Canonical } from "./canonical.js";

export const MARKER = "[redacted]";
/** Encoded variants shorter than this are skipped (too likely to hit ordinary text). */
const MIN_ENCODED = 4;

const secrets = new Set<string>();
let compiled: RedactionStage[] | undefined;

/** A secret found: the original [start, end) and what replaces it. */
export interface Found {
  start: number;
  end: number;
  replacement: string;
}

/**
 * One stage of redaction. A match spans at most `window` characters (and looks at most one
 * character behind it, `\b`); `find` gives the first match at or after `from`. A stage may also
 * say where a stream may be cut without splitting what it would decode (`safeCut`).
 */
export interface RedactionStage {
  window: number;
  find(text: string, from: number): Found | undefined;
  apply(text: string): string;
  safeCut?(text: string, cut: number, floor: number): number;
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

/** Variants shorter than this match only as written (in canonical form they would hit ordinary text). */
const MIN_CANONICAL = 8;

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

/** A stage from a global RegExp and its replacement. */
function regexStage(pattern: RegExp, replace: (match: string, ...groups: string[]) => string, window: number): RedactionStage {
  return {
    window,
    find(text, from) {
      pattern.lastIndex = from;
      const m = pattern.exec(text);
      return m ? { start: m.index, end: m.index + m[0].length, replacement: replace(m[0], ...(m.slice(1) as string[])) } : undefined;
    },
    apply: (text) => text.replace(pattern, replace as (m: string, ...g: unknown[]) => string),
  };
}

/** One pass for a list of literal alternatives; an existing marker is matched first and kept, so redaction is idempotent. */
function literalPass(alternatives: string[], fold: boolean): RedactionStage | undefined {
  if (alternatives.length === 0) return undefined;
  const pattern = new RegExp(`${escapeRegExp(MARKER)}|${trieSource(alternatives, fold)}`, fold ? "gi" : "g");
  return regexStage(pattern, () => MARKER, Math.max(MARKER.length, ...alternatives.map((a) => a.length)));
}

/** The most original characters between two characters of a match in canonical form (dropped whitespace, escapes of it). */
const GAP_MAX = 160;

/** Without ignorable characters: what the canonical form of a variant is. */
const canonicalVariant = (variant: string): string => canonicalText(variant);
/**
 * What a variant may look like in canonical text: decoded, and (for a secret that holds something
 * escape-like, e.g. "%3D") also as written, which is what an echo escaped once more decodes to.
 */
const canonicalForms = (variant: string): string[] => [...caseForms(variant).map(canonicalVariant), variant.replace(IGNORABLES, "")];
/**
 * A variant matched in any case may turn into an escape in another case ("\R" is "\r" lower-cased,
 * which decodes to a line break): the variant with each letter right after a backslash in either
 * case (at most 16 forms).
 */
function caseForms(variant: string): string[] {
  const at = [...variant.matchAll(/\\[A-Za-z]/g)].map((m) => m.index + 1).slice(0, 4);
  return Array.from({ length: 2 ** at.length }, (_, bits) => {
    const chars = [...variant];
    at.forEach((i, n) => (chars[i] = bits & (1 << n) ? chars[i]!.toUpperCase() : chars[i]!.toLowerCase()));
    return chars.join("");
  });
}

/**
 * The stage over the canonical form: each variant is looked for in the text with its ignorable
 * characters dropped and its escapes decoded; a match whose characters lie more than GAP_MAX
 * apart in the original is not one. The canonical text is made first without positions (native
 * replaces); only a text with a match gets them. The original span of each match is redacted.
 */
function canonicalStage(folded: string[], exact: string[]): RedactionStage | undefined {
  const sources: Array<[string[], string]> = [
    [folded, "gi"],
    [exact, "g"],
  ];
  const patterns = sources.flatMap(([list, flags]) => (list.length ? [new RegExp(trieSource([...new Set(list.flatMap(canonicalForms))], flags === "gi"), flags)] : []));
  if (patterns.length === 0) return undefined;
  const longest = Math.max(...folded.map((v) => v.length), ...exact.map((v) => v.length));

  const anyMatch = (text: string): boolean =>
    patterns.some((pattern) => {
      pattern.lastIndex = 0;
      return pattern.test(text);
    });
  /**
   * The first match at or after canonical position `from`: its original [start, end) and where it
   * ends in the canonical text. A match whose characters come from escapes longer than MAX_SPAN,
   * or lie more than GAP_MAX apart, is no match (it is not what an echo looks like, and a stream
   * could not hold it).
   */
  const next = (c: Canonical, from: number): [number, number, number] | undefined => {
    for (let at = from; at <= c.text.length; ) {
      let best: [number, number] | undefined;
      for (const pattern of patterns) {
        pattern.lastIndex = at;
        const m = pattern.exec(c.text);
        if (m && (!best || m.index < best[0] || (m.index === best[0] && m.index + m[0].length > best[1]))) best = [m.index, m.index + m[0].length];
      }
      if (!best) return undefined;
      const [s, e] = best;
      let close = true;
      for (let k = s; k < e && close; k++) close = c.end[k]! - c.start[k]! <= MAX_SPAN && (k === s || c.start[k]! - c.end[k - 1]! <= GAP_MAX);
      if (close) return [c.start[s]!, c.end[e - 1]!, e];
      at = s + 1;
    }
    return undefined;
  };
  /** The first match in `text` read each way (canonical.ts's Decoding), as an original [start, end). */
  const first = (text: string): [number, number] | undefined => {
    if (text.length < MIN_CANONICAL) return undefined;
    let best: [number, number] | undefined;
    const consider = (depth: number, decoding: "all" | "keep-letters"): void => {
      const found = next(canonicalize(text, depth, decoding), 0);
      if (found && (!best || found[0] < best[0] || (found[0] === best[0] && found[1] > best[1]))) best = [found[0], found[1]];
    };
    if (!hasIntroducer(text)) {
      if (anyMatch(canonicalText(text, "none"))) consider(0, "all");
      return best;
    }
    // Every depth of decoding (a reader who decodes once sees depth 1), and with the control-character escapes kept.
    for (const decoding of ["all", "keep-letters"] as const) {
      // A control escape may only appear after a round ("\\" + "%66" is "\\f"): any backslash will do.
      if (decoding === "keep-letters" && !text.includes("\\")) continue;
      canonicalTexts(text, decoding).forEach((t, depth) => {
        if ((depth > 0 || decoding === "all") && anyMatch(t)) consider(depth, decoding);
      });
    }
    return best;
  };
  const find = (text: string, from: number): Found | undefined => {
    const found = first(from === 0 ? text : text.slice(from));
    return found && { start: from + found[0], end: from + found[1], replacement: MARKER };
  };
  return {
    window: longest * (MAX_SPAN + GAP_MAX),
    find,
    apply(text) {
      let out = "";
      let pos = 0;
      for (let found = find(text, 0); found; found = find(text, pos)) {
        out += text.slice(pos, found.start) + MARKER;
        pos = found.end;
      }
      return pos === 0 ? text : out + text.slice(pos);
    },
    // Never cut inside an escape (nor one escape inside another): back to the first introducer of a run close before the cut.
    safeCut(text, cut, floor) {
      let at = cut;
      for (let i = at - 1; i >= Math.max(floor, at - MAX_SPAN) && cut - at <= 4 * MAX_SPAN; i--) if (INTRODUCERS.test(text[i]!)) at = i;
      return at;
    },
  };
}

// Header-like patterns catch secrets we were never told about (e.g. echoed by an upstream). Their
// parts are bounded so a stream can be scrubbed with a bounded tail; a value longer than
// HEADER_VALUE_MAX characters keeps its remainder.
const SPACE_MAX = 16;
const HEADER_VALUE_MAX = 4096;
const HEADER_PASSES: RedactionStage[] = [
  regexStage(
    new RegExp(`\\b(apikey|partnerkey|api[_-]?key|partner[_-]?key|x-api-key)(["']?\\s{0,${SPACE_MAX}}[:=]\\s{0,${SPACE_MAX}}["']?)[^\\s"',;}&]{1,${HEADER_VALUE_MAX}}`, "gi"),
    (_m, name, sep) => `${name}${sep}${MARKER}`,
    "partner_key".length + 3 + 2 * SPACE_MAX + HEADER_VALUE_MAX,
  ),
  regexStage(new RegExp(`\\b(Bearer)(\\s{1,${SPACE_MAX}})[A-Za-z0-9._~+/=-]{1,${HEADER_VALUE_MAX}}`, "g"), (_m, name, sep) => `${name}${sep}${MARKER}`, "Bearer".length + SPACE_MAX + HEADER_VALUE_MAX),
];

/** The stages redactSecrets runs, in order (compiled once per change of the secret set). */
export function redactionStages(): readonly RedactionStage[] {
  if (compiled) return compiled;
  const folded: string[] = [];
  const exact: string[] = [];
  for (const secret of secrets) {
    const variants = secretVariants(secret);
    folded.push(...variants.folded);
    exact.push(...variants.exact);
  }
  const short = (list: string[]) => list.filter((v) => canonicalVariant(v).length < MIN_CANONICAL);
  const long = (list: string[]) => list.filter((v) => canonicalVariant(v).length >= MIN_CANONICAL);
  // Registered secrets before the header patterns: a header value cut at a space or escape inside
  // a key ("apikey=Z x8Q...") would take its first characters and leave the rest unrecognised.
  const stages = [literalPass(short(folded), true), literalPass(short(exact), false), canonicalStage(long(folded), long(exact)), ...HEADER_PASSES];
  compiled = stages.filter((p): p is RedactionStage => p !== undefined);
  return compiled;
}

/** The stages that match registered secrets' variants only (no header patterns). */
function variantStages(): readonly RedactionStage[] {
  return redactionStages().filter((p) => !HEADER_PASSES.includes(p));
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const stage of redactionStages()) out = stage.apply(out);
  return out;
}

/** Where registered-secret variants occur in text: [start, end) ranges, marker excluded. */
export function variantRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const stage of variantStages()) {
    for (let found = stage.find(text, 0); found && found.end > found.start; found = stage.find(text, found.end)) {
      if (text.slice(found.start, found.end) !== MARKER) ranges.push([found.start, found.end]);
    }
  }
  return ranges;
}
