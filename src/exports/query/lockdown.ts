/**
 * The friendly first check of a caller's SQL: exactly one read-only statement, by DuckDB's own
 * parser, refused with a message that says what to send instead. It is not what keeps the data
 * safe (the reader is READ_ONLY and locked, reader/open-reader.ts); it makes refusals clear.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from "@duckdb/node-api";
import { QueryRefused } from "./errors.js";

// A first word that is never a question. DuckDB's statement type below is the authority; this
// catches statements whose preparation would already touch something (COPY ... TO, EXPORT).
const WRITE_WORDS = new Set([
  "ALTER", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMIT", "COPY", "CREATE", "DEALLOCATE", "DELETE", "DETACH", "DROP",
  "EXECUTE", "EXPORT", "FORCE", "IMPORT", "INSERT", "INSTALL", "LOAD", "PRAGMA", "PREPARE", "RESET", "ROLLBACK", "SET",
  "TRUNCATE", "UPDATE", "USE", "VACUUM", "MERGE", "UPSERT",
]);

const ALLOWED: ReadonlySet<StatementType> = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

function firstWord(sql: string): string {
  const stripped = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()+/, "");
  return (/^[A-Za-z_]+/.exec(stripped)?.[0] ?? "").toUpperCase();
}

function refusal(what: string): QueryRefused {
  return new QueryRefused(`Refused: ${what}. clari_query answers one read-only SELECT (WITH, FROM, DESCRIBE, SUMMARIZE, EXPLAIN and PIVOT with its values listed, as in PIVOT forecast ON field IN ('Commit', 'Quota') USING sum(value), are fine); the tables cannot be changed and nothing outside them can be read.`);
}

/** Parses and prepares the query; refuses anything but exactly one read-only statement. */
export async function prepareReadOnly(con: DuckDBConnection, sql: string, beforePrepare?: () => Promise<void>): Promise<DuckDBPreparedStatement> {
  const word = firstWord(sql);
  if (WRITE_WORDS.has(word)) throw refusal(`${word} statements are not allowed`);
  const extracted = await con.extractStatements(sql);
  if (extracted.count === 0) throw new QueryRefused("Refused: the query is empty. Send one SELECT statement.");
  if (extracted.count > 1) throw refusal(`${extracted.count} statements were sent; send exactly one`);
  // Checks that must come before DuckDB binds the statement (binding may already call a function).
  await beforePrepare?.();
  const prepared = await extracted.prepare(0);
  const type = prepared.statementType;
  if (!ALLOWED.has(type)) {
    prepared.destroySync();
    throw refusal(`a ${StatementType[type] ?? "non-SELECT"} statement is not allowed`);
  }
  if (prepared.parameterCount > 0) {
    prepared.destroySync();
    throw new QueryRefused("Refused: the query has parameters ($1, ?); write the values into the SQL.");
  }
  return prepared;
}
