/**
 * A real, throwaway Postgres cluster for a test file. The implementation is
 * scripts/postgres-cluster.mjs (plain JS, so the benchmarks start clusters the same way); see it
 * for how the cluster is made (initdb + pg_ctl on a free loopback port, scram passwords, run as
 * the postgres or nobody user when root). Nothing is skipped: when no cluster can start,
 * `startPostgres` throws saying why.
 */
export { findPostgresBin, startPostgres, type PostgresCluster } from "../../scripts/postgres-cluster.mjs";
