/**
 * redact.ts and redact-stream.ts as units: short secrets, ordinary text untouched, idempotence,
 * redactDeep's keys and split fields, the streaming transform equal to redactSecrets under any
 * chunking, and the speed of one pass over a megabyte.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { createRedactingTransform } from "../../src/security/redact-stream.js";
import { redactionStages, redactSecrets, registerSecret, resetSecrets, secretVariants } from "../../src/security/redact.js";
import { redactDeep } from "../../src/security/redact-deep.js";

const KEY = "Zq8/vL2+xW9mN4pR7tY1uA3sD6fG0hJ=";
const PARTNER = "partner-Key_77 \"quoted\" é";
const TOKEN = "tok-5f1c2a9e8b7d6c4f";

beforeEach(() => {
  resetSecrets();
  for (const s of [KEY, PARTNER, TOKEN]) registerSecret(s);
});

/** Feed the transform the given byte pieces and collect its output as text. */
async function throughTransform(pieces: Buffer[]): Promise<string> {
  return (await buffer(Readable.from(pieces, { objectMode: false }).pipe(createRedactingTransform()))).toString("utf8");
}

function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) pieces.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return pieces;
}

describe("redactSecrets", () => {
  it("leaves ordinary text exactly as it was", () => {
    const text = 'Forecast "net_bookings" for Q3: 1,234,567 USD; apinote: ok; Bear with me. {"a":[1,2,"x"]} é ü 🚀 base64 aGVsbG8= hex 68656c6c6f %20%2F';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets("")).toBe("");
  });

  it("redacts a 1-character and a 3-character secret, case-insensitively, and stays idempotent", () => {
    registerSecret("q");
    registerSecret("k9Z");
    expect(redactSecrets("Quick k9z K9Z")).toBe("[redacted]uick [redacted] [redacted]");
    const once = redactSecrets("a q in [redacted] and K9Z");
    expect(redactSecrets(once)).toBe(once);
  });

  it("skips encoded variants shorter than 4 characters but keeps the literal", () => {
    const { folded, exact } = secretVariants("q");
    expect(folded).toEqual(["q"]);
    expect(exact).toEqual(["cQ=="]);
    expect(redactSecrets("hex 71 stays")).toBe("hex 71 stays");
  });

  it("still redacts header-shaped values it was never told about", () => {
    expect(redactSecrets('apikey: abc123 "x-api-key"="zzz" Bearer eyJ.abc')).toBe('apikey: [redacted] "x-api-key"="[redacted]" Bearer [redacted]');
  });

  it("stays linear: 1 MB with 3 secrets, plain or dense with escapes, costs a few whole-text passes, not one per position", () => {
    resetSecrets();
    for (let i = 0; i < 3; i++) registerSecret(randomBytes(24).toString("base64"));
    const plain = Array.from({ length: 1_000_000 / 50 }, (_, i) => (i % 2 ? randomBytes(36).toString("base64") : "the quick brown fox, 0123456789, {\"a\": \"b\"} é")).join(" ").slice(0, 1_000_000);
    const escaped = Array.from({ length: 1_000_000 / 60 }, (_, i) => `{"name":"Ren\\u00e9e O\\"Brien","v":${i},"u":"a%20b&amp;c"}`).join(",").slice(0, 1_000_000);
    const best = (run: () => unknown): number => {
      run(); // compile and warm up
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        run();
        times.push(performance.now() - started);
      }
      return Math.min(...times);
    };
    for (const text of [plain, escaped]) {
      expect(redactSecrets(text)).toBe(text);
      // Against one native whole-text pass on the same machine at the same moment (so a busy
      // machine slows both): redaction is a few such passes; a pass per position would be thousands.
      const baseline = best(() => text.replace(/[\s%&\\]+/g, ""));
      expect(best(() => redactSecrets(text))).toBeLessThan(40 * Math.max(baseline, 1));
    }
  });
});

describe("redactDeep", () => {
  it("scrubs every string and key, keeps everything else, and does not touch the input", () => {
    const input = { [KEY]: 1, nested: { list: [`x ${KEY.toLowerCase()} y`, 2, null, true], ok: "plain" }, n: 3.5, __proto__x: "k" };
    const copy = structuredClone(input);
    const out = redactDeep(input);
    expect(input).toEqual(copy);
    expect(out).toEqual({ "[redacted]": 1, nested: { list: ["x [redacted] y", 2, null, true], ok: "plain" }, n: 3.5, __proto__x: "k" });
    expect(redactDeep(undefined)).toBeUndefined();
    expect(redactDeep("plain")).toBe("plain");
  });

  it("keeps a __proto__ key a plain field", () => {
    const out = redactDeep(JSON.parse('{"__proto__": {"polluted": true}, "a": "b"}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "a"]);
  });

  it("redacts the fields a secret is split across (object and array), leaving the others", () => {
    const half = KEY.length / 2;
    const out = redactDeep({ id: 7, title: `job ${KEY.slice(0, half)}`, module: `${KEY.slice(half)} done`, other: "fine" });
    expect(out).toEqual({ id: 7, title: "[redacted]", module: "[redacted]", other: "fine" });
    expect(redactDeep(["a", TOKEN.slice(0, 5), TOKEN.slice(5, 9), TOKEN.slice(9), "z"])).toEqual(["a", "[redacted]", "[redacted]", "[redacted]", "z"]);
    const b64 = Buffer.from(KEY).toString("base64");
    expect(redactDeep({ a: b64.slice(0, 10), b: b64.slice(10) })).toEqual({ a: "[redacted]", b: "[redacted]" });
  });

  it("leaves ordinary structured data exactly as it was", () => {
    const data = { jobs: [{ jobId: "j1", title: "Net bookings", fileName: "a.json" }], total: 1, note: "[redacted] already" };
    expect(redactDeep(data)).toEqual(data);
  });
});

describe("createRedactingTransform", () => {
  const fragments = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.constantFrom(...secretVariants(KEY).folded, ...secretVariants(KEY).exact, ...secretVariants(PARTNER).folded, ...secretVariants(TOKEN).exact, KEY.toUpperCase(), "apikey: ", "Bearer ", "[redacted]", "é🚀"),
  );
  const texts = fc.array(fragments, { maxLength: 25 }).map((parts) => parts.join(""));

  it("fed byte by byte, outputs exactly what redactSecrets gives on the whole text", async () => {
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        const bytes = Buffer.from(text, "utf8");
        const pieces = [...bytes].map((b) => Buffer.from([b]));
        expect(await throughTransform(pieces)).toBe(redactSecrets(text));
      }),
      { numRuns: 60 },
    );
  });

  it("in random chunkings, outputs exactly what redactSecrets gives on the whole text", async () => {
    await fc.assert(
      fc.asyncProperty(texts, fc.array(fc.nat(), { maxLength: 20 }), async (text, cuts) => {
        const bytes = Buffer.from(text, "utf8");
        expect(await throughTransform(chunk(bytes, cuts))).toBe(redactSecrets(text));
      }),
      { numRuns: 300 },
    );
  });

  it("streams a large input without holding it whole", async () => {
    // No secret in it, so what is held back is written minus emitted.
    const piece = Buffer.from(`row,${"x".repeat(1000)},plain\n`);
    const transform = createRedactingTransform();
    let out = 0;
    let maxHeld = 0;
    let written = 0;
    transform.on("data", (c: Buffer) => (out += c.length));
    for (let i = 0; i < 2000; i++) {
      await new Promise<void>((resolve) => transform.write(piece, () => setImmediate(resolve)));
      written += piece.length;
      maxHeld = Math.max(maxHeld, written - out);
    }
    transform.end();
    await new Promise((resolve) => transform.on("end", resolve));
    // Held back: under one window per stage (about 22 KB in all) plus one context character each.
    const windows = redactionStages().reduce((sum, stage) => sum + stage.window, 0);
    expect(maxHeld).toBeLessThanOrEqual(windows);
    expect(windows).toBeLessThan(64 * 1024);
    expect(out).toBe(written);
  });
});

describe("case folding", () => {
  it("keeps the literal of a secret whose letters do not lower-case one to one (İ, the Kelvin sign)", () => {
    registerSecret("İstanbul-\u212A9");
    expect(redactSecrets("x İSTANBUL-\u212A9 x")).toBe("x [redacted] x");
  });
});
