/**
 * Named bearer tokens: the file and environment formats, the configuration they make, and what
 * is refused (bad names, short or spaced tokens, a name or a token used twice). Error messages
 * name the source and entry, never the token.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { loadBearerTokens, parseTokensEnv, parseTokensFile } from "../../src/config/bearer-tokens.js";

const A = "tok-desktop-0123456789abcdef";
const B = "tok-ci-fedcba9876543210:with:colons";

function file(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "clari-tokens-"));
  const at = path.join(dir, "tokens");
  writeFileSync(at, text, { mode: 0o600 });
  return at;
}

describe("bearer token entries", () => {
  it("reads name:token lines, skipping blank lines and # comments; the token is everything after the first colon", () => {
    expect(parseTokensFile(`# who may call\n\ndesktop:${A}\r\n  ci:${B}  \n`, "f")).toEqual([
      { name: "desktop", token: A },
      { name: "ci", token: B },
    ]);
  });

  it("reads the permissions a name carries in brackets, with those they imply; a name without them may do everything", () => {
    expect(parseTokensFile(`analyst[read]:${A}\nops[ export , cancel ]:${B}\nall:${"y".repeat(16)}`, "f")).toEqual([
      { name: "analyst", token: A, scopes: ["read"] },
      { name: "ops", token: B, scopes: ["read", "export", "cancel"] },
      { name: "all", token: "y".repeat(16) },
    ]);
  });

  it.each([
    ["an unknown permission", `analyst[read,root]:${A}`, /"root" is no permission; they are read, export, cancel, ingest, admin/],
    ["empty brackets", `analyst[]:${A}`, /the brackets list no permission/],
    ["a bad name before the brackets", `an alyst[read]:${A}`, /a token's name is 1-64 letters/],
  ])("refuses %s, naming the entry and never the token", (_what, entry, message) => {
    let error: Error | undefined;
    try {
      parseTokensFile(`ok:${"z".repeat(16)}\n${entry}`, "--http-tokens-file t");
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/--http-tokens-file t, entry 2/);
    expect(error?.message).not.toContain(A);
  });

  it("reads CLARI_MCP_HTTP_TOKENS separated by commas, spaces or line breaks", () => {
    expect(parseTokensEnv(`desktop:${A}, ci:${B}\nthird:${"x".repeat(16)}`).map((t) => t.name)).toEqual(["desktop", "ci", "third"]);
  });

  it.each([
    ["no colon", `desktop${A}`, /expected name:token/],
    ["an empty name", `:${A}`, /expected name:token/],
    ["a name with a space", `desk top:${A}`, /1-64 letters/],
    ["a name that could forge a log line", `a]\u001b[x:${A}`, /1-64 letters/],
    ["a short token", "desktop:short", /shorter than 16/],
    ["a token with non-ASCII", `desktop:${A}é`, /non-ASCII/],
    ["an empty token", "desktop:", /empty/],
  ])("refuses %s, naming the entry but never the token", (_what, entry, message) => {
    let error: Error | undefined;
    try {
      parseTokensFile(`# comment\n${entry}`, "tokens.txt");
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/tokens\.txt, entry 2/);
    expect(error?.message).not.toContain(A);
  });

  it("combines --http-token (named default), the file and the environment, and refuses a repeated name or token", () => {
    const tokens = loadBearerTokens({ single: "single-token", file: file(`desktop:${A}\n`), env: `ci:${B}` });
    expect(tokens.map((t) => t.name)).toEqual(["default", "desktop", "ci"]);
    expect(() => loadBearerTokens({ file: file(`desktop:${A}\n`), env: `desktop:${B}` })).toThrow(/name "desktop" is used twice/);
    const twice = (() => {
      try {
        loadBearerTokens({ file: file(`desktop:${A}\n`), env: `ci:${A}` });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(twice).toMatch(/named "ci" is the same token as another one/);
    expect(twice).not.toContain(A);
  });

  it("becomes the configuration: --http-tokens-file and CLARI_MCP_HTTP_TOKENS satisfy a non-loopback bind; an unreadable file stops start-up", () => {
    const config = loadConfig(["--transport", "http", "--host", "0.0.0.0", "--http-tokens-file", file(`desktop:${A}\n`)], { CLARI_API_KEY: "k", CLARI_MCP_HTTP_TOKENS: `ci:${B}` });
    expect(config.httpTokens.map((t) => t.name)).toEqual(["desktop", "ci"]);
    expect(() => loadConfig(["--transport", "http", "--http-tokens-file", "/nonexistent/tokens"], { CLARI_API_KEY: "k" })).toThrow(/cannot be read \(ENOENT\)/);
    expect(loadConfig(["--transport", "http"], { CLARI_API_KEY: "k" }).httpTokens).toEqual([]);
  });
});
