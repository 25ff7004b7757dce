/**
 * What a caller's query can run into, as types (this file loads without DuckDB, so callers can
 * test `instanceof` before the engine was ever loaded). Each message says what to change.
 */
export class QueryError extends Error {}

/** The SQL is not something clari_query runs (not a read, or reads outside the tables). */
export class QueryRefused extends QueryError {
  override readonly name = "QueryRefused";
}

/** DuckDB could not run it (syntax, unknown column, the memory cap). */
export class QueryFailed extends QueryError {
  override readonly name = "QueryFailed";
}

/** It ran past the time limit. */
export class QueryTimedOut extends QueryError {
  override readonly name = "QueryTimedOut";
}
