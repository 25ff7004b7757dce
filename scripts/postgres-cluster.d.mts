export interface PostgresCluster {
  /** postgres://clari:<password>@127.0.0.1:<port>/postgres */
  url: string;
  password: string;
  port: number;
  /** The system user the server runs as (when started as root), to own what a test hands it (a tablespace folder). */
  osUser: { uid: number; gid: number } | undefined;
  /** Stop the server at once, as a crash would (`pg_ctl stop -m immediate`), keeping its data. */
  halt(): Promise<void>;
  /** Start a halted server again on the same port. */
  resume(): Promise<void>;
  /** A new, empty database on this cluster: its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}
/** Where Debian's (or a PATH) initdb/pg_ctl live; CLARI_TEST_PG_BIN overrides. */
export declare function findPostgresBin(): string | undefined;
/** A throwaway cluster on a free loopback port; throws saying why when none can start. */
export declare function startPostgres(): Promise<PostgresCluster>;
