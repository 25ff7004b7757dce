/**
 * The instance callers' SQL runs on: DuckDB opened READ_ONLY on one generation file, with the
 * configuration locked and file access off from its creation. Nothing a statement can do here
 * changes what another query sees: the database cannot be written, nothing can be attached (an
 * in-memory database cannot launch read-only, files are refused), the default database cannot
 * be detached, settings cannot change, and temporary objects live only as long as the one
 * connection each query gets.
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** Options the reader is created with; the rest is set on its first connection, before any query. */
export function readerOptions(memoryMb: number, threads: number): Record<string, string> {
  return {
    access_mode: "READ_ONLY",
    memory_limit: `${memoryMb}MB`,
    threads: String(threads),
    autoload_known_extensions: "false",
    autoinstall_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
  };
}

/**
 * In this order: no spilling to disk, UTC, no file access by name, then no file system at all
 * (the generation file stays open; even its own path can no longer be written, e.g. by
 * COPY ... TO), and last the lock, after which none of these can change.
 */
const LOCKDOWN = [
  "SET temp_directory = ''",
  "SET GLOBAL TimeZone = 'UTC'",
  "SET enable_external_access = false",
  "SET disabled_filesystems = 'LocalFileSystem'",
  "SET lock_configuration = true",
];

export async function openReader(file: string, memoryMb: number, threads = 1): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(file, readerOptions(memoryMb, threads));
  const setup = await instance.connect();
  try {
    for (const sql of LOCKDOWN) await setup.run(sql);
  } catch (error) {
    setup.closeSync();
    instance.closeSync();
    throw error;
  }
  setup.closeSync();
  return instance;
}
