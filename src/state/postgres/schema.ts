/**
 * The backend's tables: created at start, idempotently, under a transaction-level advisory lock
 * (replicas may start at once), and versioned in clari_mcp_schema. A database whose schema is
 * newer than this code knows is refused before anything is written.
 */
import type pg from "pg";
import { StateDatabaseError, transaction } from "./db.js";

export const SCHEMA_VERSION = 2;

/** Each version's statements, applied in order; every one is idempotent. */
const MIGRATIONS: string[][] = [
  [
    `CREATE SEQUENCE IF NOT EXISTS clari_mcp_index_version`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_index (scope text PRIMARY KEY, version bigint NOT NULL, body text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_index_aside (id bigserial PRIMARY KEY, scope text NOT NULL, body text NOT NULL, problem text NOT NULL, set_aside_at bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_journal (scope text NOT NULL, name text NOT NULL, body text NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (scope, name))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_journal_aside (id bigserial PRIMARY KEY, scope text NOT NULL, name text NOT NULL, body text NOT NULL, written_at bigint NOT NULL, settled boolean NOT NULL DEFAULT false)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_uploads (upload_id text PRIMARY KEY, scope text NOT NULL, job_id text NOT NULL, started_at bigint NOT NULL, published boolean NOT NULL DEFAULT false)`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_uploads_job ON clari_mcp_uploads (scope, job_id)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_chunks (upload_id text NOT NULL REFERENCES clari_mcp_uploads (upload_id) ON DELETE CASCADE, seq integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (upload_id, seq))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_files (scope text NOT NULL, job_id text NOT NULL, upload_id text NOT NULL, bytes bigint NOT NULL, written_at bigint NOT NULL, PRIMARY KEY (scope, job_id))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_observations (id bigserial PRIMARY KEY, scope text NOT NULL, kind text NOT NULL, fetched_at bigint NOT NULL, body text NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_observations_kind ON clari_mcp_observations (scope, kind, fetched_at)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_tasks (scope text NOT NULL, task_id text NOT NULL, request_key text, job_id text, status text NOT NULL, owner text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, detail text, PRIMARY KEY (scope, task_id))`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_tasks_created ON clari_mcp_tasks (scope, created_at)`,
  ],
  [
    `CREATE TABLE IF NOT EXISTS clari_mcp_budgets (scope text NOT NULL, holder text NOT NULL, window_key text NOT NULL, window_end bigint NOT NULL, spent integer NOT NULL, PRIMARY KEY (scope, holder, window_key))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_audit (scope text NOT NULL, id text NOT NULL, at bigint NOT NULL, caller text NOT NULL, body text NOT NULL, PRIMARY KEY (scope, id))`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_audit_caller ON clari_mcp_audit (scope, caller, id)`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_audit_at ON clari_mcp_audit (scope, at)`,
  ],
];
/** Serialises schema creation between replicas starting at once. */
const SCHEMA_LOCK = "7126831652411550001";

export async function migrate(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (q) => {
    await q("SELECT pg_advisory_xact_lock($1::bigint)", [SCHEMA_LOCK]);
    await q("CREATE TABLE IF NOT EXISTS clari_mcp_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL, updated_at bigint NOT NULL)");
    const current = Number((await q("SELECT version FROM clari_mcp_schema WHERE id = 1")).rows[0]?.version ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new StateDatabaseError(`The state database's schema is version ${current}, newer than this clari-mcp knows (${SCHEMA_VERSION}): upgrade clari-mcp, or give it another database. Nothing was changed.`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) for (const statement of MIGRATIONS[version - 1]!) await q(statement);
    await q("INSERT INTO clari_mcp_schema (id, version, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at", [SCHEMA_VERSION, Date.now()]);
  });
}
