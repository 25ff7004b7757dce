/**
 * Named bearer tokens for HTTP: each client (or team, or CI job) gets its own token, and logs say
 * which one a request came with, by name; the token itself is never written anywhere.
 *
 * Sources, all combined: `--http-token` / CLARI_MCP_HTTP_TOKEN (one token, named "default"),
 * `--http-tokens-file FILE` (one `name:token` per line; blank lines and lines starting with `#`
 * are skipped), and CLARI_MCP_HTTP_TOKENS (the same `name:token` entries, separated by commas,
 * spaces or line breaks). Everything after the first `:` is the token.
 */
import { readFileSync } from "node:fs";

export interface NamedToken {
  name: string;
  token: string;
}

/** A name goes into every log line of its requests: short, and nothing that could forge a line. */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** The same rule as every other credential: printable ASCII, no spaces. */
const TOKEN = /^[\x21-\x7e]+$/;
/** Shorter tokens are guessable; sixteen characters is the floor for one of our own. */
const MIN_TOKEN_LENGTH = 16;

export class TokenConfigError extends Error {
  override readonly name = "TokenConfigError";
}

/** Parses `name:token` entries; `where` names the source in errors (never the token). */
export function parseTokenEntries(entries: readonly string[], where: string): NamedToken[] {
  const tokens: NamedToken[] = [];
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === "" || entry.startsWith("#")) return;
    const colon = entry.indexOf(":");
    const at = `${where}, entry ${index + 1}`;
    if (colon <= 0) throw new TokenConfigError(`${at}: expected name:token.`);
    const name = entry.slice(0, colon);
    const token = entry.slice(colon + 1);
    if (!NAME.test(name)) throw new TokenConfigError(`${at}: a token's name is 1-64 letters, digits, '.', '_' or '-'.`);
    if (!TOKEN.test(token)) throw new TokenConfigError(`${at} (${name}): the token is empty or has spaces or non-ASCII characters.`);
    if (token.length < MIN_TOKEN_LENGTH) throw new TokenConfigError(`${at} (${name}): the token is shorter than ${MIN_TOKEN_LENGTH} characters.`);
    tokens.push({ name, token });
  });
  return tokens;
}

export function parseTokensFile(text: string, where: string): NamedToken[] {
  return parseTokenEntries(text.split(/\r?\n/), where);
}

export function parseTokensEnv(value: string): NamedToken[] {
  return parseTokenEntries(value.split(/[\s,]+/), "CLARI_MCP_HTTP_TOKENS");
}

/** Every configured token, checked for repeated names and repeated tokens (which would make names ambiguous). */
export function loadBearerTokens(sources: { single?: string | undefined; file?: string | undefined; env?: string | undefined }): NamedToken[] {
  const tokens: NamedToken[] = [];
  if (sources.single) tokens.push({ name: "default", token: sources.single });
  if (sources.file) {
    let text: string;
    try {
      text = readFileSync(sources.file, "utf8");
    } catch (error) {
      throw new TokenConfigError(`--http-tokens-file ${JSON.stringify(sources.file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
    }
    tokens.push(...parseTokensFile(text, `--http-tokens-file ${sources.file}`));
  }
  if (sources.env) tokens.push(...parseTokensEnv(sources.env));
  const names = new Set<string>();
  const values = new Set<string>();
  for (const { name, token } of tokens) {
    if (names.has(name)) throw new TokenConfigError(`The HTTP token name ${JSON.stringify(name)} is used twice.`);
    if (values.has(token)) throw new TokenConfigError(`The HTTP token named ${JSON.stringify(name)} is the same token as another one.`);
    names.add(name);
    values.add(token);
  }
  return tokens;
}
