/**
 * The store's index on Postgres: one row per scope holding the same JSON document as index.json
 * (schema-checked on read; a damaged one is moved to clari_mcp_index_aside and what could be read
 * is salvaged), versioned by a sequence so `sync` stays one cheap query.
 */
import type pg from "pg";
import { indexText, parseIndex } from "../index-file.js";
import type { IndexStorage } from "../backend.js";
import { transaction, type Query } from "./db.js";

export function pgIndex(pool: pg.Pool, q: Query, scope: string): IndexStorage {
  return {
    async version() {
      const row = (await q("SELECT version FROM clari_mcp_index WHERE scope = $1", [scope])).rows[0];
      return row ? String(row.version) : "";
    },
    async read() {
      const row = (await q("SELECT body FROM clari_mcp_index WHERE scope = $1", [scope])).rows[0];
      if (!row) return { entries: [] };
      const { entries, problem } = await parseIndex(Buffer.from(String(row.body), "utf8"));
      if (!problem) return { entries };
      const id = await transaction(pool, async (t) => {
        const aside = await t("INSERT INTO clari_mcp_index_aside (scope, body, problem, set_aside_at) SELECT scope, body, $2, $3 FROM clari_mcp_index WHERE scope = $1 RETURNING id", [scope, problem, Date.now()]);
        await t("DELETE FROM clari_mcp_index WHERE scope = $1", [scope]);
        return aside.rows[0]?.id as string | undefined;
      });
      return { entries, damaged: { movedTo: `clari_mcp_index_aside row ${id ?? "?"}`, problem, salvaged: entries.length } };
    },
    async write(entries) {
      await q(
        "INSERT INTO clari_mcp_index (scope, version, body) VALUES ($1, nextval('clari_mcp_index_version'), $2) ON CONFLICT (scope) DO UPDATE SET version = EXCLUDED.version, body = EXCLUDED.body",
        [scope, indexText(entries)],
      );
    },
  };
}
