/**
 * Shared state in Postgres (`--state postgres://...`): several server processes ("replicas") on
 * one database behave as several processes on one folder do. Every row carries the credential's
 * scope (the same hash that names a store folder), so one org's or user's state is never served
 * to another. Loaded only when --state is given (node-postgres, `pg`).
 * One file per part of the backend (backend.ts's interfaces): schema.ts (tables and migrations),
 * advisory-lock.ts, index-storage.ts, files.ts (chunks and local copies), journal.ts,
 * observations.ts, task-records.ts, budgets.ts, audit.ts; db.ts holds the transaction helper they share.
 */
import { rm } from "node:fs/promises";
import pg from "pg";
import { redactStateUrl } from "../../config.js";
import type { StateBackend } from "../backend.js";
import { advisoryLock } from "./advisory-lock.js";
import { clean, pooledQuery, StateDatabaseError, type Query } from "./db.js";
import { pgFiles, privateLocalDir } from "./files.js";
import { pgIndex } from "./index-storage.js";
import { pgRecords } from "./journal.js";
import { pgObservations } from "./observations.js";
import { migrate } from "./schema.js";
import { pgTasks } from "./task-records.js";
import { pgBudgets } from "./budgets.js";
import { pgAudit } from "./audit.js";

export interface PostgresStateOptions {
  url: string;
  /** The credential's scope (a hash of base URL and API key). */
  scope: string;
  warn: (message: string) => void;
  /** Where local copies of files are materialised (default: a new private folder under the system's temp dir). */
  localDir?: string;
}

/** Connects, creates or checks the schema, and returns the backend; a database it cannot use is a clear StateDatabaseError. */
export async function openPostgresBackend(options: PostgresStateOptions): Promise<StateBackend> {
  const shown = redactStateUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 8,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A connection left half-open by a database that went away mid-query must not hang a caller
    // (or the store's lock, and everything queued behind it): longer than the lock's own 30 s wait.
    query_timeout: 45_000,
    application_name: "clari-mcp",
    keepAlive: true,
  });
  pool.on("error", (error) => options.warn(`state database: an idle connection failed (${clean(error)})`));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StateDatabaseError) throw error;
    throw new StateDatabaseError(
      `Could not use the state database ${shown}: ${clean(error)}. Check --state / CLARI_MCP_STATE_URL (postgres://user:password@host:5432/database), ` +
        "that the server is up and accepts this user, and that the database exists. Nothing was changed.",
    );
  }
  const query: Query = pooledQuery(pool);
  const scope = options.scope;
  const lock = advisoryLock(pool, scope, options.warn);
  let localDir: Promise<string> | undefined;
  const local = (): Promise<string> => (localDir ??= options.localDir ? Promise.resolve(options.localDir) : privateLocalDir());
  return {
    description: `database ${shown}`,
    lock,
    index: pgIndex(pool, query, scope),
    files: pgFiles(pool, query, scope, local),
    journal: pgRecords(pool, query, scope),
    observations: pgObservations(query, scope),
    tasks: pgTasks(pool, query, scope),
    budgets: pgBudgets(pool, query, scope),
    audit: pgAudit(query, scope),
    async close() {
      await pool.end().catch(() => undefined);
      if (localDir && !options.localDir) await rm(await localDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
