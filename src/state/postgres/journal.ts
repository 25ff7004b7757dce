/**
 * The journal's records on Postgres: one row each in clari_mcp_journal; a record that is not JSON
 * is moved to clari_mcp_journal_aside with its bytes (it still says its request had a job in flight).
 */
import type pg from "pg";
import { DAMAGED, type RecordStorage } from "../backend.js";
import { transaction, type Query } from "./db.js";

/** Writes (or replaces) one record; with a transaction's query it is part of that transaction. */
export async function writeRecord(q: Query, scope: string, name: string, value: unknown): Promise<void> {
  await q("INSERT INTO clari_mcp_journal (scope, name, body, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (scope, name) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at", [
    scope,
    name,
    JSON.stringify(value),
    Date.now(),
  ]);
}

export function pgRecords(pool: pg.Pool, q: Query, scope: string): RecordStorage {
  const setAside = (t: Query, name: string): Promise<unknown> =>
    t("WITH moved AS (DELETE FROM clari_mcp_journal WHERE scope = $1 AND name = $2 RETURNING scope, name, body, updated_at) INSERT INTO clari_mcp_journal_aside (scope, name, body, written_at) SELECT scope, name, body, updated_at FROM moved", [scope, name]);
  return {
    async read(name) {
      const row = (await q("SELECT body FROM clari_mcp_journal WHERE scope = $1 AND name = $2", [scope, name])).rows[0];
      if (!row) return undefined;
      try {
        return JSON.parse(String(row.body)) as unknown;
      } catch {
        await setAside(q, name).catch(() => undefined);
        return DAMAGED;
      }
    },
    write: (name, value) => writeRecord(q, scope, name, value),
    async remove(name) {
      await q("DELETE FROM clari_mcp_journal WHERE scope = $1 AND name = $2", [scope, name]);
    },
    async names() {
      return (await q("SELECT name FROM clari_mcp_journal WHERE scope = $1 ORDER BY name", [scope])).rows.map((r) => String(r.name));
    },
    // Kept, not deleted: its bytes may still name a jobId a person can recover by hand.
    async setAside(name) {
      await transaction(pool, (t) => setAside(t, name));
    },
    async setAsideAt(name) {
      const row = (await q("SELECT min(written_at) AS at FROM clari_mcp_journal_aside WHERE scope = $1 AND name = $2 AND NOT settled", [scope, name])).rows[0];
      return row?.at == null ? undefined : Number(row.at);
    },
    async settleSetAside(name) {
      await q("UPDATE clari_mcp_journal_aside SET settled = true WHERE scope = $1 AND name = $2 AND NOT settled", [scope, name]);
    },
  };
}
