/**
 * A key with white space slipped between its characters is found whichever white space it is:
 * all six ASCII ones (the scrub looks for them by native searches when a text is all ASCII) and a
 * non-ASCII one in an otherwise ASCII text, in a whole text and streamed in small pieces.
 */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { beforeEach, describe, expect, it } from "vitest";
import { createRedactingTransform } from "../../src/security/redact-stream.js";
import { redactSecrets, registerSecret, resetSecrets } from "../../src/security/redact.js";

const KEY = "Zx8QmP2vL9rT4wK7yB3nC6dF1gH5jS0a";

beforeEach(() => {
  resetSecrets();
  registerSecret(KEY);
});

async function streamed(text: string, piece: number): Promise<string> {
  const bytes = Buffer.from(text, "utf8");
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) pieces.push(bytes.subarray(i, i + piece));
  return (await buffer(Readable.from(pieces).pipe(createRedactingTransform()))).toString("utf8");
}

describe("white space slipped into a key", () => {
  const filler = '{"userId":"799366:00EQ8B1qVsjigcdCWT","forecastValue":1611345659.28},'.repeat(400);
  for (const [name, space] of [
    ["space", " "],
    ["tab", "\t"],
    ["line feed", "\n"],
    ["carriage return", "\r"],
    ["vertical tab", "\v"],
    ["form feed", "\f"],
    ["zero-width space", "\u200b"],
  ] as const) {
    it(`${name}: redacted whole and streamed, the text around it kept`, async () => {
      const slipped = [...KEY].join(space);
      const text = `${filler}{"echo":"${slipped}"}${filler}`;
      const expected = `${filler}{"echo":"[redacted]"}${filler}`;
      expect(redactSecrets(text)).toBe(expected);
      expect(await streamed(text, 997)).toBe(expected);
    });
  }
});
