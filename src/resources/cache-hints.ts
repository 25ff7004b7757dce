/**
 * How long 2026-07-28 clients may keep list results (SEP-2549 `ttlMs` / `cacheScope`; 2025-era
 * answers carry neither). The tool, prompt and template catalogues change only with the
 * configuration, which is fixed for the life of the process, and are the same for every caller:
 * public, for an hour. resources/list also names the exports in the store, which any finished
 * export changes: not cached (ttlMs 0, the SDK's default, said explicitly).
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

/** Resources whose content changes only with a new build of the server (the query contract, the view). */
export const STATIC_RESOURCE_HINT: CacheHint = CATALOGUE;
