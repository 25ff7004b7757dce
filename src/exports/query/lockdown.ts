/**
 * What keeps assistant SQL harmless: DuckDB opened without extension autoloading, then (once our
 * own tables exist) external access off and the configuration locked; and each query checked to
 * be exactly one read-only statement by DuckDB's own parser before it runs.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from "@duckdb/node-api";
import { QueryRefused } from "./errors.js";

/** Options DuckDB is opened with: the memory cap, and no extension fetched or loaded by itself. */
export function openOptions(memoryMb: number): Record<string, string> {
  return {
    memory_limit: `${memoryMb}MB`,
    // One thread and no insertion order kept: loading an export's rows then holds less memory
    // at once (peak RSS of a 5,000-user load 415 -> 373 MB); questions run in milliseconds anyway.
    threads: "1",
    preserve_insertion_order: "false",
    autoload_known_extensions: "false",
    autoinstall_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
  };
}

/** Run after our own loading is set up, before any assistant SQL. Order matters: the lock is last. */
const LOCKDOWN = [
  "SET TimeZone = 'UTC'",
  // In-memory only: nothing spills to disk (a query over the cap stops with an out-of-memory error).
  "SET temp_directory = ''",
  "SET enable_external_access = false",
  "SET lock_configuration = true",
];

export async function lockDown(con: DuckDBConnection): Promise<void> {
  for (const sql of LOCKDOWN) await con.run(sql);
}

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
  return new QueryRefused(`Refused: ${what}. clari_query answers one read-only SELECT (WITH, FROM, PIVOT inside a SELECT, DESCRIBE, SUMMARIZE and EXPLAIN are fine); the tables cannot be changed and nothing outside them can be read.`);
}

/** Parses and prepares the query; refuses anything but exactly one read-only statement. */
export async function prepareReadOnly(con: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const word = firstWord(sql);
  if (WRITE_WORDS.has(word)) throw refusal(`${word} statements are not allowed`);
  const extracted = await con.extractStatements(sql);
  if (extracted.count === 0) throw new QueryRefused("Refused: the query is empty. Send one SELECT statement.");
  if (extracted.count > 1) throw refusal(`${extracted.count} statements were sent; send exactly one`);
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
