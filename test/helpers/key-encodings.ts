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

// ---- Composed forms, for property tests: built here from first principles (no code under test). ----

/** Characters an upstream may slip between a key's characters without changing how it reads. */
export const IGNORABLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", " ", "\t", "\n", "\r\n", "\u00a0"] as const;

/** HTML named entities for the ASCII punctuation and the letters that have one (HTML5's list, by hand). */
const NAMED: Record<string, string> = {
  "!": "excl", '"': "quot", "#": "num", $: "dollar", "%": "percnt", "&": "amp", "'": "apos", "(": "lpar", ")": "rpar", "*": "ast",
  "+": "plus", ",": "comma", ".": "period", "/": "sol", ":": "colon", ";": "semi", "<": "lt", "=": "equals", ">": "gt", "?": "quest",
  "@": "commat", "[": "lsqb", "\\": "bsol", "]": "rsqb", "^": "Hat", _: "lowbar", "`": "grave", "{": "lcub", "|": "verbar", "}": "rcub",
  "é": "eacute", "\u00a0": "nbsp", "\u00ad": "shy", "\u200b": "ZeroWidthSpace", "\u200c": "zwnj", "\u200d": "zwj", "\n": "NewLine", "\t": "Tab",
};

/** One random choice per character: the caller's source of randomness (fast-check gives it). */
export type Pick = (choices: number) => number;

const randomCase = (hex: string, pick: Pick): string => [...hex].map((c) => (pick(2) ? c.toUpperCase() : c.toLowerCase())).join("");

/** Percent-encode each character with probability 1/2 (all when `all`; "%" always, as an encoder must), its UTF-8 bytes, hex digits in either case. */
export function percentSome(text: string, pick: Pick, all = false): string {
  return [...text].map((c) => (all || c === "%" || pick(2) ? [...Buffer.from(c, "utf8")].map((b) => `%${randomCase(b.toString(16).padStart(2, "0"), pick)}`).join("") : c)).join("");
}

/** JSON `\u` escapes for some characters (UTF-16 units; "\\" always, as an encoder must), hex digits in either case. */
export function jsonEscapeSome(text: string, pick: Pick, all = false): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += all || text[i] === "\\" || pick(2) ? `\\u${randomCase(text.charCodeAt(i).toString(16).padStart(4, "0"), pick)}` : text[i];
  return out;
}

/** HTML entities for some characters ("&" always, as an encoder must): decimal, hex (x or X), or named where HTML has a name. */
export function htmlEscapeSome(text: string, pick: Pick, all = false): string {
  return [...text]
    .map((c) => {
      if (!all && c !== "&" && !pick(2)) return c;
      const code = c.codePointAt(0)!;
      const kind = pick(NAMED[c] ? 3 : 2);
      if (kind === 2) return `&${NAMED[c]};`;
      return kind === 0 ? `&#${code};` : `&#${pick(2) ? "x" : "X"}${randomCase(code.toString(16), pick)};`;
    })
    .join("");
}

/** One or two ignorable characters slipped into some of the gaps between characters. */
export function slipIgnorables(text: string, pick: Pick): string {
  const chars = [...text];
  return chars.map((c, i) => (i > 0 && pick(3) === 0 ? IGNORABLES[pick(IGNORABLES.length)]!.repeat(1 + pick(2)) : "") + c).join("");
}

export type Base = "verbatim" | "hex" | "base64" | "base64url" | "base64NoPadding" | "embeddedBase64";
export type Layer = "percent" | "json" | "html";

/**
 * A composed form of the key: a base form (the key in random letter case, hex in random case,
 * base64 or base64url, or the key's base64 inside a longer base64 blob), optionally with ignorable
 * characters slipped in, then up to two escape layers (each over the whole text so far, so a second
 * layer escapes the first one's escapes too: double encoding).
 */
export function composeForm(key: string, base: Base, ignorables: boolean, layers: Layer[], pick: Pick): string {
  const bytes = Buffer.from(key, "utf8");
  let text: string;
  switch (base) {
    case "verbatim":
      text = [...key].map((c) => (pick(2) ? c.toUpperCase() : c.toLowerCase())).join("");
      break;
    case "hex":
      text = randomCase(bytes.toString("hex"), pick);
      break;
    case "base64":
      text = bytes.toString("base64");
      break;
    case "base64url":
      text = bytes.toString("base64url");
      break;
    case "base64NoPadding":
      text = bytes.toString("base64").replace(/=+$/, "");
      break;
    case "embeddedBase64": {
      const before = Buffer.from(Array.from({ length: 3 + pick(3) }, () => pick(256)));
      const after = Buffer.from(Array.from({ length: 1 + pick(4) }, () => pick(256)));
      text = Buffer.concat([before, bytes, after]).toString("base64");
      break;
    }
  }
  if (ignorables) text = slipIgnorables(text, pick);
  for (const layer of layers) text = layer === "percent" ? percentSome(text, pick) : layer === "json" ? jsonEscapeSome(text, pick) : htmlEscapeSome(text, pick);
  return text;
}

/**
 * Undoes every escape and drops every ignorable character, as a reader of the text would, with
 * the platform's and a well-known library's decoders (not the code under test): what a leak
 * would reveal.
 */
export function reveal(text: string, decodeHtml: (t: string) => string): string {
  let out = text;
  for (let round = 0; round < 3; round++) {
    out = out
      .replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
        try {
          return decodeURIComponent(run);
        } catch {
          // Not whole UTF-8 (its other bytes may still be behind an outer escape): ASCII bytes only.
          return run.replace(/%([0-7][0-9A-Fa-f])/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
        }
      })
      .replace(/\\u([0-9A-Fa-f]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\x([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    out = decodeHtml(out);
  }
  return out.replace(/[\s\u00ad\u200b-\u200f\u2060\ufeff]/g, "");
}

/** findLeaks on the text as written and as revealed. */
export function findAnyLeaks(text: string, key: string, decodeHtml: (t: string) => string): string[] {
  return [...new Set([...findLeaks(text, key), ...findLeaks(reveal(text, decodeHtml), key).map((l) => `${l} (revealed)`)])];
}

/** A fixed stream of choices (xorshift from a seed), so a hostile fake's echoes are the same on every run. */
export function seededPick(seed: number): Pick {
  let state = seed >>> 0 || 1;
  return (choices) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % choices;
  };
}

/** Composed forms a hostile upstream echoes: every character escaped, ignorables slipped in, two layers. */
export function composedEchoesOf(key: string): string[] {
  const pick = seededPick(7);
  return [
    percentSome(key, pick, true),
    jsonEscapeSome(key, pick, true),
    htmlEscapeSome(key, pick, true),
    percentSome(percentSome(key, pick, true), pick, true),
    [...key].join("\u200b"),
    key.replace(/(.{3})/g, "$1 "),
    composeForm(key, "verbatim", true, ["json", "percent"], pick),
    composeForm(key, "hex", true, ["percent"], pick),
    composeForm(key, "base64", true, ["html", "percent"], pick),
    composeForm(key, "base64url", true, ["html"], pick),
  ];
}
