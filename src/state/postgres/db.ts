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

/** Runs fn in one transaction on one pooled connection; a connection whose rollback failed is closed. */
export async function transaction<T>(pool: pg.Pool, fn: (q: Query) => Promise<T>): Promise<T> {
  const client = await pool.connect();
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
