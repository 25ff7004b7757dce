/**
 * Where the batched JSON reader cuts. An array of entries is cut at a comma that looks like one
 * between entries once JSON.parse accepts the batch before it; a look-alike (inside a string, in
 * a nested array, past the array's end) is refused and the bytes are scanned instead. Whatever
 * the chunks and batch size, the entries are exactly those of JSON.parse of the whole document,
 * and a document cut short gives exactly its whole entries. The scan itself (strings, escapes and
 * backslash runs across chunk ends) is checked on arrays that are never guessed: their first
 * entry is a number.
 */
import { describe, expect, it } from "vitest";
import { JsonBatchSplitter } from "../../src/exports/read/json-batches.js";
import { Rng } from "../../src/sandbox/random.js";

type Named = Array<[string | undefined, unknown]>;
type Chunking = (length: number) => number[];

/** The entries the splitter hands on, fed in chunks of the given sizes. */
function split(shape: "array" | "object", bytes: Buffer, sizes: number[], batchBytes?: number): { got: Named; complete: boolean } {
  const got: Named = [];
  const splitter = new JsonBatchSplitter(shape, (name, entries) => entries.forEach((e) => got.push([name, e])), batchBytes === undefined ? {} : { batchBytes });
  let at = 0;
  for (const size of sizes) {
    splitter.write(bytes.subarray(at, at + size));
    at += size;
  }
  splitter.write(bytes.subarray(at));
  splitter.end();
  return { got, complete: splitter.complete };
}

/** The truth: JSON.parse of the whole document, its entries named as the splitter names them. */
function truth(shape: "array" | "object", text: string): Named {
  const doc = JSON.parse(text) as unknown;
  if (shape === "array") return (doc as unknown[]).map((e) => [undefined, e]);
  const out: Named = [];
  for (const [name, member] of Object.entries(doc as Record<string, unknown>)) {
    if (Array.isArray(member)) member.forEach((e) => out.push([name, e]));
    else if (typeof member === "object" && member !== null) Object.values(member).forEach((e) => out.push([name, e]));
  }
  return out;
}

const whole: Chunking = () => [];
const cycling: Chunking = (n) => {
  const sizes: number[] = [];
  for (let at = 0, size = 1; at < n; at += size, size = (size % 7) + 1) sizes.push(size);
  return sizes;
};

/** Strings that look like structure once written as JSON: fake entry boundaries, quotes after backslash runs, multi-byte text. */
const LOOKALIKES = ["},{", "}, {", '"},{"', "\\", "\\\\", '\\"', '\\\\"},{', "]", "[{", "},\n {", "Zoë 東京 😀", "\u2028", "a/b", ""];

function generator(seed: number) {
  // The sandbox's seeded generator, so every run checks the same documents.
  const rng = new Rng(seed);
  const random = (): number => rng.next();
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const str = (): string => (random() < 0.5 ? pick(LOOKALIKES) : `${pick(LOOKALIKES)}x${int(100)}${pick(LOOKALIKES)}`);
  const value = (depth: number): unknown => {
    const r = random();
    if (r < 0.35 || depth > 2) return random() < 0.5 ? str() : pick([int(1000), -1.5e-3, true, false, null]);
    if (r < 0.7) return object(depth + 1);
    return Array.from({ length: int(4) }, () => (random() < 0.6 ? object(depth + 1) : value(depth + 1)));
  };
  const object = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let i = int(4); i >= 0; i--) o[`${pick(LOOKALIKES)}${i}`] = value(depth);
    return o;
  };
  /** An entry of the kinds the truncation check can tell apart: an object, an array or a string. */
  const entry = (): unknown => (random() < 0.8 ? object(0) : random() < 0.5 ? [object(1), str()] : str());
  const space = (): string => pick(["", "", "", " ", "\n  ", "\t", "\r\n"]);
  return { random, int, pick, entry, space };
}

interface Doc {
  shape: "array" | "object";
  bytes: Buffer;
  /** Each entry with the byte offset by which it has wholly come (for a document cut short). */
  ends: Array<{ name: string | undefined; entry: unknown; end: number }>;
}

/** A document written piece by piece (random spacing, `\/` for some slashes), tracking where each entry ends. */
function makeDoc(seed: number, options: { scannedFirst?: boolean } = {}): Doc {
  const g = generator(seed);
  const shape = g.random() < 0.3 ? "array" : "object";
  let text = "";
  let bytes = 0;
  const ends: Doc["ends"] = [];
  const put = (s: string): void => {
    text += s;
    bytes += Buffer.byteLength(s);
  };
  const json = (v: unknown): string => {
    const s = JSON.stringify(v, null, g.random() < 0.3 ? 1 : undefined);
    return g.random() < 0.3 ? s.replace(/\//g, "\\/") : s;
  };
  // A member that is an object gives its values once the `,` or `}` after it has come.
  const pending: Doc["ends"] = [];
  const separator = (c: string): void => {
    put(g.space());
    for (const e of pending.splice(0)) ends.push({ ...e, end: bytes + 1 });
    put(`${c}${c === "," ? g.space() : ""}`);
  };
  const array = (name: string | undefined): void => {
    put(`[${g.space()}`);
    const n = g.int(12);
    for (let i = 0; i < n; i++) {
      if (i > 0) put(`${g.space()},${g.space()}`);
      // A number first: this array is never guessed, so the scan reads all of it.
      const e = i === 0 && (options.scannedFirst ?? g.random() < 0.2) ? g.int(10) : g.entry();
      put(json(e));
      ends.push({ name, entry: e, end: bytes });
    }
    put(`${g.space()}]`);
  };
  if (shape === "array") array(undefined);
  else {
    put(`{${g.space()}`);
    const names = ["entries", "users", "meta", "scalar", "empty", "fields"].filter(() => g.random() < 0.8);
    names.forEach((name, i) => {
      if (i > 0) separator(",");
      put(`${JSON.stringify(name)}${g.space()}:${g.space()}`);
      if (name === "scalar") put("5");
      else if (name === "empty") put("[]");
      else if (name === "meta") {
        const meta = { a: g.entry(), b: g.entry() };
        put(json(meta));
        for (const e of Object.values(meta)) pending.push({ name, entry: e, end: -1 });
      } else array(name);
    });
    separator("}");
  }
  const doc = { shape, bytes: Buffer.from(text, "utf8"), ends } satisfies Doc;
  expect(truth(shape, text)).toEqual(ends.map((e) => [e.name, e.entry]));
  return doc;
}

describe("batched JSON reader: guessed cuts give the entries of JSON.parse", () => {
  it("a comma that only looks like one between entries is refused, wherever the chunks end", () => {
    const cases: Array<["array" | "object", string]> = [
      ["object", '{"entries":[{"a":"x"},{"s":"},{"},{"t":"}, {"},{"b":1}],"users":[{"u":1},{"u":2}]}'],
      ["object", '{"entries":[{"l":[{"a":1},{"b":2}]},{"c":[{"d":{"e":[{"f":1},{"g":2}]}}]}],"fields":[{"x":1}]}'],
      ["array", '["a\\",\\"b","c","\\\\","d\\\\\\",\\"e"]'],
      ["array", '[["x"],["y",["z"],["w"]],[]]'],
      ["object", '{"entries":[{"a":1}],"users":[{"b":2},{"c":3}],"meta":{"m":{"n":1}},"more":[{"d":4}]}'],
    ];
    for (const [shape, text] of cases) {
      const bytes = Buffer.from(text);
      const expected = truth(shape, text);
      for (const batchBytes of [1, 5, 1 << 20]) {
        for (let cut = 0; cut <= bytes.length; cut++) {
          const { got, complete } = split(shape, bytes, [cut], batchBytes);
          expect(got, `${text} split at ${cut}, batches of ${batchBytes}`).toEqual(expected);
          expect(complete).toBe(true);
        }
      }
    }
  });

  it("the scan reads strings that end at a chunk's end and backslash runs across chunks, at every split into three", () => {
    // The first entry is a number, so the array is scanned, never guessed.
    const text = '{"entries":[0,"a\\\\","\\\\\\"]},{","\\"","x\\\\\\\\",{"k\\"":"\\\\\\\\\\""}],"users":[1,"\\\\"]}';
    const bytes = Buffer.from(text);
    const expected = truth("object", text);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const { got } = split("object", bytes, [i, j - i], 4);
        expect(got, `split at ${i} and ${j}`).toEqual(expected);
      }
    }
  });

  it("random documents, chunked whole, in 1..7 bytes, at random sizes and split at every byte", () => {
    for (let seed = 1; seed <= 39; seed++) {
      const doc = makeDoc(seed); if (seed < 40) console.log("SIZE", seed, doc.bytes.length);
      const text = doc.bytes.toString("utf8");
      const expected = truth(doc.shape, text);
      const g = generator(seed * 7919);
      const randomSizes: Chunking = (n) => {
        const sizes: number[] = [];
        for (let at = 0; at < n; at += sizes.at(-1) as number) sizes.push(1 + g.int(200));
        return sizes;
      };
      for (const chunking of [whole, cycling, randomSizes]) {
        for (const batchBytes of [1, 1 + g.int(300), undefined]) {
          const { got, complete } = split(doc.shape, doc.bytes, chunking(doc.bytes.length), batchBytes);
          expect(got, `seed ${seed}`).toEqual(expected);
          expect(complete).toBe(true);
        }
      }
      if (seed % 8 === 0) {
        for (let cut = 0; cut <= doc.bytes.length; cut++) expect(split(doc.shape, doc.bytes, [cut], 64).got, `seed ${seed} split at ${cut}`).toEqual(expected);
      }
    }
  });

  it("a document cut anywhere gives exactly the entries that had wholly come", () => {
    for (let seed = 1000; seed < 1040; seed++) {
      const doc = makeDoc(seed, { scannedFirst: seed % 4 === 0 });
      const step = Math.max(1, Math.floor(doc.bytes.length / 150));
      for (let cut = 0; cut < doc.bytes.length; cut += step) {
        const part = doc.bytes.subarray(0, cut);
        const expected = doc.ends.filter((e) => e.end <= cut).map((e) => [e.name, e.entry]);
        for (const sizes of [[], cycling(cut)]) {
          const { got, complete } = split(doc.shape, part, sizes, 32);
          expect(got, `seed ${seed} cut at ${cut}`).toEqual(expected);
          expect(complete).toBe(false);
        }
      }
    }
  });
});
