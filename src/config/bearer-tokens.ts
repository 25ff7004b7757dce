/**
 * Named bearer tokens for HTTP: each client (or team, or CI job) gets its own token, and logs say
 * which one a request came with, by name; the token itself is never written anywhere.
 *
 * Sources, all combined: `--http-token` / CLARI_MCP_HTTP_TOKEN (one token, named "default"),
 * `--http-tokens-file FILE` (one `name:token` per line; blank lines and lines starting with `#`
 * are skipped), and CLARI_MCP_HTTP_TOKENS (the same `name:token` entries, separated by commas,
 * spaces or line breaks). Everything after the first `:` is the token.
 *
 * A name may carry the permissions its token grants, `name[read,export]:token` (src/config/scopes.ts:
 * read, export, cancel, ingest, admin, with what they imply); a name without them may do everything,
 * as a token always could. Only admin reads everyone's calls (the audit trail), so on a server shared
 * by several people's static tokens, theirs name what they need and leave admin out.
 */
import { readFileSync } from "node:fs";
import { isScope, SCOPES, withImplied, type Scope } from "./scopes.js";

export interface NamedToken {
  name: string;
  token: string;
  /** The permissions granted (with those they imply); undefined: every permission. */
  scopes?: Scope[];
}

/** A name goes into every log line of its requests: short, and nothing that could forge a line. */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** A name and, in brackets, the permissions its token grants. */
const NAME_AND_SCOPES = /^([^[\]]*)\[([^\]]*)\]$/;
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
    const label = entry.slice(0, colon);
    const token = entry.slice(colon + 1);
    const bracketed = NAME_AND_SCOPES.exec(label);
    const name = bracketed ? bracketed[1]! : label;
    if (!NAME.test(name)) throw new TokenConfigError(`${at}: a token's name is 1-64 letters, digits, '.', '_' or '-' (then, if wanted, its permissions in brackets: name[read,export]).`);
    const scopes = bracketed ? parseScopes(bracketed[2]!, `${at} (${name})`) : undefined;
    if (!TOKEN.test(token)) throw new TokenConfigError(`${at} (${name}): the token is empty or has spaces or non-ASCII characters.`);
    if (token.length < MIN_TOKEN_LENGTH) throw new TokenConfigError(`${at} (${name}): the token is shorter than ${MIN_TOKEN_LENGTH} characters.`);
    tokens.push(scopes ? { name, token, scopes } : { name, token });
  });
  return tokens;
}

/** `read,export` -> those permissions with what they imply; an unknown or empty list stops start-up. */
function parseScopes(list: string, at: string): Scope[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new TokenConfigError(`${at}: the brackets list no permission; name some of ${SCOPES.join(", ")}, or drop the brackets for all of them.`);
  const unknown = names.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new TokenConfigError(`${at}: ${unknown.map((s) => JSON.stringify(s.slice(0, 32))).join(", ")} is no permission; they are ${SCOPES.join(", ")}.`);
  return withImplied(names as Scope[]);
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
