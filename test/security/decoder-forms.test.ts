/**
 * Forms of a key that a standard decoder turns back into the key, each redacted whole, in one
 * text and streamed split at every byte (found by a red-team pass; each failed before its fix):
 * `\u{XX}` with two hex digits, numeric character references without a ";" before the next one
 * or with leading zeros, every Default_Ignorable_Code_Point slipped between the characters, and a
 * key after a header name with a space or escape inside it.
 */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { decodeHTML } from "entities";
import { beforeEach, describe, expect, it } from "vitest";
import { IGNORABLES } from "../../src/security/canonical.js";
import { createRedactingTransform } from "../../src/security/redact-stream.js";
import { redactSecrets, registerSecret, resetSecrets } from "../../src/security/redact.js";

const KEY = "Zx8QmP2vL9rT4wK7yB3nC6dF1gH5jS0a";
const code = (c: string): number => c.codePointAt(0) as number;
const eachChar = (form: (c: string) => string): string => [...KEY].map(form).join("");

beforeEach(() => {
  resetSecrets();
  registerSecret(KEY);
});

async function streamed(pieces: Buffer[]): Promise<string> {
  return (await buffer(Readable.from(pieces).pipe(createRedactingTransform()))).toString("utf8");
}

/** The text scrubbed whole, and streamed in two pieces split at every `step`th byte: all the same. */
async function scrubbed(text: string, step = 1): Promise<string> {
  const whole = redactSecrets(text);
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i <= bytes.length; i += step) expect(await streamed([bytes.subarray(0, i), bytes.subarray(i)]), `split at byte ${i}`).toBe(whole);
  return whole;
}

describe("a key in forms a decoder reads back", () => {
  it("\\u{XX} escapes with two hex digits", async () => {
    expect(await scrubbed(`{"note":"${eachChar((c) => `\\u{${code(c).toString(16)}}`)}"}`)).toBe('{"note":"[redacted]"}');
    expect(await scrubbed(`x ${KEY[0]}\\u{${code(KEY[1] as string).toString(16)}}${KEY.slice(2)} y`)).toBe("x [redacted] y");
  });

  it("numeric character references with no ';' before the next one, or with leading zeros", async () => {
    for (const form of [
      eachChar((c) => `&#${code(c)}`),
      eachChar((c) => `&#x${code(c).toString(16)}`),
      eachChar((c) => `&#00000000${code(c)};`),
      eachChar((c) => `&#x0000000${code(c).toString(16)};`),
    ]) {
      expect(decodeHTML(form)).toBe(KEY);
      expect(await scrubbed(`<p>${form} </p>`, 7)).toBe("<p>[redacted] </p>");
    }
  });

  it("every default-ignorable code point, white space and U+0085 is dropped between a key's characters", async () => {
    const ignorables: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const c = String.fromCodePoint(cp);
      if (/^[\p{Default_Ignorable_Code_Point}\s\u0085]$/u.test(c)) ignorables.push(c);
    }
    const missed = ignorables.filter((c) => c.replace(new RegExp(IGNORABLES.source, "g"), "") !== "");
    expect(missed.map((c) => code(c).toString(16))).toEqual([]);
    for (const cp of [0xe0001, 0xe0020, 0xe007f, 0xe0100, 0xe01ef, 0x1bca0, 0x1d173, 0xfff0]) {
      expect(await scrubbed(`a ${[...KEY].join(String.fromCodePoint(cp))} b`, 11), cp.toString(16)).toBe("a [redacted] b");
    }
  });

  it("after a header name, with a space or an escape inside the key: the whole key goes, not its first character", async () => {
    expect(await scrubbed(`apikey=${KEY[0]} ${KEY.slice(1)}`)).toBe("apikey=[redacted]");
    expect(await scrubbed(`apikey: ${KEY[0]}&#${code(KEY[1] as string)};${KEY.slice(2)}`)).toBe("apikey: [redacted]");
    expect(await scrubbed(`Authorization: Bearer ${KEY[0]} ${KEY.slice(1)}`)).toBe("Authorization: Bearer [redacted]");
    const long = redactSecrets(`apikey=${"x".repeat(4095)}${KEY} end`);
    expect(long).not.toContain(KEY.slice(1, 8));
    expect(long.endsWith(" end")).toBe(true);
  });
});
