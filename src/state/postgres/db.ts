/**
 * What every part of the Postgres backend shares: the query function, the transaction helper,
 * the error a database it cannot use becomes, and error messages with their secrets scrubbed.
 */
import pg from "pg";
import { redactSecrets } from "../../security/redact.js";

export class StateDatabaseError extends Error {
  override readonly name = "StateDatabaseError";
}

export type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** An error's message with secrets (the database password among them) scrubbed. */
export function clean(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return redactSecrets(String(e?.message || e?.code || error));
}

/** Longest wait for a pooled connection, whatever the driver's own timeouts do after an outage. */
const CONNECT_WAIT_MS = 15_000;

/**
 * A pooled connection, or an error after 15 s: a database that went away and came back must never
 * leave a caller (or the store's lock, and everything queued behind it) waiting for ever. A
 * connection that arrives after the wait was given up is handed straight back.
 */
export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  let timer: NodeJS.Timeout | undefined;
  const pending = pool.connect();
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection to the state database within ${CONNECT_WAIT_MS / 1000} s`)), CONNECT_WAIT_MS);
  });
  try {
    return await Promise.race([pending, expired]);
  } catch (error) {
    pending.then((client) => client.release(), () => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** One query on a pooled connection taken with {@link connect}. */
export function pooledQuery(pool: pg.Pool): Query {
  return async (text, values) => {
    const client = await connect(pool);
    let broken: Error | undefined;
    try {
      return await client.query(text, values);
    } catch (error) {
      // A connection that failed mid-query (anything but the database refusing the statement) is not put back.
      if (!(error instanceof pg.DatabaseError)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };
}

/** Runs fn in one transaction on one pooled connection; a connection whose rollback failed is closed. */
export async function transaction<T>(pool: pg.Pool, fn: (q: Query) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await fn((text, values) => client.query(text, values));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => (broken = e));
    throw error;
  } finally {
    client.release(broken);
  }
}
