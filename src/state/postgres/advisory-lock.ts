/**
 * The store's lock on Postgres: a session-level `pg_advisory_lock` on a pooled connection of its
 * own (plus the in-process queue), held for the storage work of one decision and never across a
 * call to Clari (the same rule as the folder lock). A process killed while holding it loses its
 * connection, and Postgres releases the lock at once.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { processLock, type StoreLock } from "../lock.js";
import { clean, connect } from "./db.js";

/** Longest wait for the store's lock. */
const LOCK_WAIT_MS = 30_000;

/** The lock's key: 64 bits of the scope's hash. */
function lockKey(scope: string): string {
  return createHash("sha256").update(`clari-mcp store lock\n${scope}`).digest().readBigInt64BE(0).toString();
}

export function advisoryLock(pool: pg.Pool, scope: string, warn: (message: string) => void): StoreLock {
  const inProcess = processLock();
  const key = lockKey(scope);
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      return inProcess.run(async () => {
        const client = await connect(pool);
        let broken: Error | undefined;
        const onError = (error: Error): void => {
          broken = error;
          warn(`store lock lost: the state database connection failed (${clean(error)})`);
        };
        client.on("error", onError);
        try {
          // A holder that never lets go must not hang every tool call: the wait ends after 30 s.
          await client.query(`SET lock_timeout = '${LOCK_WAIT_MS}ms'`);
          await client.query("SELECT pg_advisory_lock($1::bigint)", [key]);
          try {
            return await fn();
          } finally {
            await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]).catch((error: Error) => (broken ??= error));
          }
        } finally {
          client.off("error", onError);
          // A connection whose unlock failed is closed, which releases the lock server-side.
          client.release(broken);
        }
      });
    },
    idle: () => inProcess.idle(),
  };
}
