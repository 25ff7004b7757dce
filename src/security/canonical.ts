/**
 * A text as a secret in it would read, and the way back to the original's positions. Why: an
 * upstream may echo a secret with whitespace or zero-width characters slipped between its
 * characters, with any of its characters escaped (percent-encoding, JSON `\u`, `\x`, HTML entities
 * named, decimal or hex), mixed freely and nested (`%254B`, `\u0025` + `4B`, `&amp;#75;`, and once more inside a JSON file).
 * The canonical text drops the ignorable characters (whitespace and the default-ignorable ones:
 * zero-width spaces and joiners, soft hyphen, BOM, bidi marks, variation selectors) and decodes
 * the escapes (ROUNDS times), so redaction looks for the secret there and redacts the original span each
 * match came from. `canonicalText` is the fast way (native replaces, no positions), used to see
 * whether there is anything to find; `canonicalize` gives the same text with the positions.
 */
import { createRequire } from "node:module";

type DecodeHtml = (text: string) => string;
let decodeHtml: DecodeHtml | undefined;
/**
 * `entities` (its decoding tables take ~10 ms to build) is loaded when an HTML entity is first
 * decoded, not at start: redaction must stay synchronous, so it is required, not imported.
 */
function decodeHTML(text: string): string {
  decodeHtml ??= (createRequire(import.meta.url)("entities") as { decodeHTML: DecodeHtml }).decodeHTML;
  return decodeHtml(text);
}

/** The most original characters one character of a match may come from (the caller checks it: an escape inside an escape). */
export const MAX_SPAN = 128;
/** How many times escapes are decoded: two layers of escapes, and the JSON string they may be written in. */
const ROUNDS = 3;
/**
 * The characters an escape starts with. A numeric entity needs its ";" before a percent or
 * backslash escape ("&#3%33%3B" is "&#33;" percent-encoded, not U+0003 then "3;"), not before
 * another entity: HTML decoders read "&#90&#120" as "Zx".
 */
export const INTRODUCERS = /[%\\&]/;

/** INTRODUCERS.test(text) by three native searches: the regex scan was a tenth of scrubbing an export. */
export function hasIntroducer(text: string): boolean {
  return text.includes("%") || text.includes("\\") || text.includes("&");
}

export interface Canonical {
  text: string;
  /** For each canonical character, the original [start, end) it came from. */
  start: Int32Array;
  end: Int32Array;
}

/**
 * White space, U+0085 and every Default_Ignorable_Code_Point (checked against Unicode's property
 * in test/security/decoder-forms.test.ts); the astral ones (tags and variation selectors
 * 17-256 at U+E0000-E0FFF, U+1BCA0-1BCA3, U+1D173-1D17A) as surrogate pairs, so the regexes
 * need no "u" flag.
 */
const IGNORABLE =
  "(?:[\\s\\u0085\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufff8]|[\\udb40-\\udb43][\\udc00-\\udfff]|\\ud82f[\\udca0-\\udca3]|\\ud834[\\udd73-\\udd7a])";
const TOKEN_SOURCE = "(?:%[0-9A-Fa-f]{2})+|\\\\u\\{[0-9A-Fa-f]{1,6}\\}|\\\\u[0-9A-Fa-f]{4}|\\\\x[0-9A-Fa-f]{2}|\\\\[\\\\/\"'bfnrt]|&#0*[0-9]{1,7}(?![0-9])(?:;|(?![%\\\\]))|&#[xX]0*[0-9A-Fa-f]{1,6}(?![0-9A-Fa-f])(?:;|(?![%\\\\]))|&[A-Za-z][A-Za-z0-9]{1,15};";
/** Runs of ignorable characters (global: use with replace or matchAll only). */
export const IGNORABLES = new RegExp(`${IGNORABLE}+`, "g");
const HAS_IGNORABLE = new RegExp(IGNORABLE);

/**
 * HAS_IGNORABLE.test(text), sparing the regex scan (a tenth of scrubbing an export) for the usual
 * text: all ASCII (its UTF-8 is as long as it is) and without ASCII white space, the only
 * ignorable characters ASCII has.
 */
function hasIgnorable(text: string): boolean {
  const spaced = text.includes(" ") || text.includes("\n") || text.includes("\r") || text.includes("\t") || text.includes("\v") || text.includes("\f");
  return (spaced || Buffer.byteLength(text, "utf8") !== text.length) && HAS_IGNORABLE.test(text);
}
const TOKENS = new RegExp(TOKEN_SOURCE, "g");
/** The same escapes but the control-character ones (\\b \\f \\n \\r \\t), whose letter may be a secret's own after a stray backslash. */
const TOKENS_BUT_LETTERS = new RegExp(TOKEN_SOURCE.replace("\"'bfnrt]", "\"']"), "g");

/**
 * How a text is read: "none" drops ignorable characters only (a secret that holds something
 * escape-like, "%3D" or "\\f", is found as written); "all" decodes every escape; "keep-letters"
 * decodes all but the control-character ones, so "\\" + "t..." still shows a secret starting with t.
 */
export type Decoding = "none" | "all" | "keep-letters";

const SIMPLE: Record<string, string> = { "\\": "\\", "/": "/", '"': '"', "'": "'", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** What an escape stands for, one piece per character it encodes (a percent run is UTF-8), each with its length in the escape. */
function decodeToken(token: string): Array<{ text: string; length: number }> {
  if (token[0] === "%") {
    const bytes = Buffer.from(token.replace(/%/g, ""), "hex");
    const out: Array<{ text: string; length: number }> = [];
    for (let b = 0; b < bytes.length; ) {
      const lead = bytes[b]!;
      const n = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
      const whole = n > 0 && b + n <= bytes.length && bytes.subarray(b + 1, b + n).every((x) => x >= 0x80 && x <= 0xbf);
      const size = whole ? n : 1;
      // A byte that starts no whole UTF-8 character stays escaped: its other bytes may still be
      // behind an outer escape, decoded in the next round ("%E2" + "&#37;80" + ...).
      out.push({ text: whole ? bytes.subarray(b, b + n).toString("utf8") : token.slice(b * 3, b * 3 + 3), length: size * 3 });
      b += size;
    }
    return out;
  }
  if (token[0] === "&") return [{ text: decodeHTML(token), length: token.length }];
  if (token[2] === "{") {
    const code = parseInt(token.slice(3, -1), 16);
    return [{ text: code <= 0x10ffff ? String.fromCodePoint(code) : token, length: token.length }];
  }
  if (token[1] === "u" || token[1] === "x") return [{ text: String.fromCharCode(parseInt(token.slice(2), 16)), length: token.length }];
  return [{ text: SIMPLE[token[1]!] ?? token, length: token.length }];
}

/** decodeToken's text, without building pieces for the common short escapes (the fast way runs this per escape). */
function decodeString(token: string): string {
  const first = token.charCodeAt(0);
  if (first === 92 /* \ */) {
    const kind = token[1]!;
    if (token.length === 2) return SIMPLE[kind] ?? token;
    // "\u{6b}" is six characters too: braces take the slow way.
    if (token.length === 6 && kind === "u" && token[2] !== "{") return String.fromCharCode(parseInt(token.slice(2), 16));
    if (token.length === 4 && kind === "x") return String.fromCharCode(parseInt(token.slice(2), 16));
  } else if (first === 37 /* % */ && token.length === 3) {
    const code = parseInt(token.slice(1), 16);
    if (code < 0x80) return String.fromCharCode(code);
  }
  return decodeToken(token)
    .map((p) => p.text)
    .join("");
}

/** A step's output and, per output character, the input [start, end) it came from. */
interface Step {
  text: string;
  start: Int32Array;
  end: Int32Array;
}

/** Drop ignorable characters, keeping the way back. */
function stripStep(text: string): Step {
  const start = new Int32Array(text.length);
  const end = new Int32Array(text.length);
  let out = "";
  let k = 0;
  let last = 0;
  const keep = (to: number): void => {
    out += text.slice(last, to);
    for (let j = last; j < to; j++) {
      start[k] = j;
      end[k++] = j + 1;
    }
  };
  for (const m of text.matchAll(IGNORABLES)) {
    keep(m.index);
    last = m.index + m[0].length;
  }
  keep(text.length);
  return { text: out, start: start.subarray(0, k), end: end.subarray(0, k) };
}

/** Decode escapes, keeping the way back (every character of an escape's piece comes from that piece). */
function decodeStep(text: string, tokens: RegExp): Step {
  const start: number[] = [];
  const end: number[] = [];
  let out = "";
  let last = 0;
  const copy = (to: number): void => {
    out += text.slice(last, to);
    for (let j = last; j < to; j++) {
      start.push(j);
      end.push(j + 1);
    }
  };
  for (const m of text.matchAll(tokens)) {
    copy(m.index);
    let at = m.index;
    for (const piece of decodeToken(m[0])) {
      out += piece.text;
      for (let u = 0; u < piece.text.length; u++) {
        start.push(at);
        end.push(at + piece.length);
      }
      at += piece.length;
    }
    last = m.index + m[0].length;
  }
  copy(text.length);
  return { text: out, start: Int32Array.from(start), end: Int32Array.from(end) };
}

/**
 * The text at each depth of decoding, the fast way (native replaces, no positions): [d] is the text
 * after d rounds of decoding (up to ROUNDS, ending early when a round changes nothing), with its
 * ignorable characters dropped. Escapes are decoded before ignorables are dropped, so no escape
 * forms across a space ("&#8 8" is not "&#88"). A secret may show at any depth: a reader who
 * decodes once sees depth 1. Equal to canonicalize(text, d, decoding).text for each d.
 */
export function canonicalTexts(text: string, decoding: Exclude<Decoding, "none"> = "all"): string[] {
  const strip = (t: string): string => (hasIgnorable(t) ? t.replace(IGNORABLES, "") : t);
  let u = text;
  const texts = [strip(u)];
  const tokens = decoding === "keep-letters" ? TOKENS_BUT_LETTERS : TOKENS;
  for (let round = 0; round < ROUNDS && hasIntroducer(u); round++) {
    const decoded = u.replace(tokens, decodeString);
    if (decoded === u) break;
    u = decoded;
    texts.push(strip(u));
  }
  return texts;
}

/** The canonical text at the deepest depth (see canonicalTexts). */
export function canonicalText(text: string, decoding: Decoding = "all"): string {
  if (decoding === "none") return hasIgnorable(text) ? text.replace(IGNORABLES, "") : text;
  return canonicalTexts(text, decoding).at(-1)!;
}

/**
 * The canonical form of a text at a depth: escapes decoded `depth` times (ROUNDS at most), then
 * ignorable characters dropped, with each character's original span.
 */
export function canonicalize(text: string, depth: number, decoding: Decoding = "all"): Canonical {
  const steps: Step[] = [];
  let t = text;
  const push = (step: Step): void => {
    steps.push(step);
    t = step.text;
  };
  for (let round = 0; decoding !== "none" && round < Math.min(depth, ROUNDS) && hasIntroducer(t); round++) {
    const decoded = decodeStep(t, decoding === "keep-letters" ? TOKENS_BUT_LETTERS : TOKENS);
    if (decoded.text === t) break;
    push(decoded);
  }
  if (hasIgnorable(t)) push(stripStep(t));
  const start = new Int32Array(t.length);
  const end = new Int32Array(t.length);
  for (let k = 0; k < t.length; k++) {
    let s = k;
    let e = k + 1;
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      [s, e] = [step.start[s]!, step.end[e - 1]!];
    }
    start[k] = s;
    end[k] = e;
  }
  return { text: t, start, end };
}
