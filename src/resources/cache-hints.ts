/**
 * How long 2026-07-28 clients may keep list results (SEP-2549 `ttlMs` / `cacheScope`; 2025-era
 * answers carry neither). The tool, prompt and template catalogues change only with the
 * configuration, which is fixed for the life of the process, and are the same for every caller:
 * public, for an hour. resources/list also names the exports in the store, which any finished
 * export changes: not cached (ttlMs 0, the SDK's default, said explicitly).
 * With OAuth sign-in, tools/list depends on the caller's permissions (src/tools/kit/scope-gate.ts):
 * private, and kept only a few minutes, so a person who signs in again with more scopes soon
 * sees the tools they now may use.
 */
import type { CacheHint } from "@modelcontextprotocol/server";

const CATALOGUE: CacheHint = { ttlMs: 60 * 60_000, cacheScope: "public" };

export const CATALOGUE_CACHE_HINTS = {
  "tools/list": CATALOGUE,
  "prompts/list": CATALOGUE,
  "resources/templates/list": CATALOGUE,
  "resources/list": { ttlMs: 0, cacheScope: "private" },
  "server/discover": CATALOGUE,
} satisfies Record<string, CacheHint>;

const PER_CALLER_TOOLS: CacheHint = { ttlMs: 5 * 60_000, cacheScope: "private" };

/** Catalogue hints for this configuration: per-caller tool lists when people sign in with OAuth. */
export function catalogueCacheHints(perCallerTools: boolean): typeof CATALOGUE_CACHE_HINTS {
  return perCallerTools ? { ...CATALOGUE_CACHE_HINTS, "tools/list": PER_CALLER_TOOLS } : CATALOGUE_CACHE_HINTS;
}

/** Resources whose content changes only with a new build of the server (the query contract, the view). */
export const STATIC_RESOURCE_HINT: CacheHint = CATALOGUE;
