/**
 * How the catalogue's size is counted, shared by catalogue.mjs and the test that bounds it
 * (test/protocol/catalogue.test.ts): a value's JSON in UTF-8 bytes, characters, and estimated
 * tokens (characters / 4, rounded up). No imports, so a test can load it without the bench's setup.
 */
export const TOKEN_BUDGET = 4000;

export const tokens = (chars) => Math.ceil(chars / 4);

export function measure(value) {
  const json = JSON.stringify(value);
  return { bytes: Buffer.byteLength(json, "utf8"), chars: json.length, tokens: tokens(json.length) };
}
