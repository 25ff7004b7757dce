/**
 * A real, throwaway Postgres cluster for tests and benchmarks: Debian's server binaries (installed
 * by .ci/run when missing) run by initdb + pg_ctl in a temporary folder, on a free port of
 * 127.0.0.1, with password (scram) authentication. initdb refuses to run as root, so as root the
 * cluster belongs to the `postgres` user (made by Debian's package) or, failing that, `nobody`.
 * Nothing is skipped: when no cluster can start, `startPostgres` throws saying why.
 *
 * Used by test/helpers/postgres.ts (the test suite) and bench/http-replicas.mjs:
 *   import { startPostgres } from "./scripts/postgres-cluster.mjs";
 *   const cluster = await startPostgres();
 *   const url = await cluster.createDatabase();  ... await cluster.stop();
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

const USER = "clari";

/**
 * Where Debian's (or a PATH) initdb/pg_ctl live; CLARI_TEST_PG_BIN overrides.
 * @returns {string | undefined}
 */
export function findPostgresBin() {
  if (process.env.CLARI_TEST_PG_BIN) return process.env.CLARI_TEST_PG_BIN;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(path.join(dir, "pg_ctl")) && existsSync(path.join(dir, "initdb"))) return dir;
  return undefined;
}

/** @returns {Promise<number>} */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<{ name: string, uid: number, gid: number } | undefined>} */
async function ownerOfCluster() {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number((await run("id", ["-u", name])).stdout.trim());
      const gid = Number((await run("id", ["-g", name])).stdout.trim());
      return { name, uid, gid };
    } catch {
      /* no such user */
    }
  }
  throw new Error("running as root, and neither the postgres nor the nobody user exists to own a test cluster");
}

/**
 * Starts a cluster; resolves when it accepts connections.
 * @returns {Promise<import("./postgres-cluster.d.mts").PostgresCluster>}
 */
export async function startPostgres() {
  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      "Postgres tests need a Postgres server (initdb, pg_ctl): none found in /usr/lib/postgresql/*/bin or on PATH. " +
        "Install it (Debian: apt-get install postgresql; scripts/test-prerequisites.sh does this) or set CLARI_TEST_PG_BIN.",
    );
  }
  const owner = await ownerOfCluster();
  const dir = await mkdtemp(path.join(tmpdir(), "clari-pg-"));
  const data = path.join(dir, "data");
  const password = `pw-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  await writeFile(path.join(dir, "pwfile"), `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(dir, owner.uid, owner.gid);
    await chown(path.join(dir, "pwfile"), owner.uid, owner.gid);
  }
  /** @type {(command: string, args: string[]) => Promise<{ stdout: string, stderr: string }>} */
  const as = (command, args) =>
    owner ? run("runuser", ["-u", owner.name, "--", path.join(bin, command), ...args], { cwd: dir }) : run(path.join(bin, command), args, { cwd: dir });
  const log = path.join(dir, "server.log");
  /** @type {(step: string, error: unknown) => Promise<Error>} */
  const explain = async (step, error) => {
    const e = /** @type {{ stderr?: string, message?: string }} */ (error);
    let tail = "";
    try {
      tail = (await readFile(log, "utf8")).slice(-1500);
    } catch {
      /* no log yet */
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return new Error(`Could not start the test Postgres (${step} with ${bin}${owner ? ` as ${owner.name}` : ""}): ${(e.stderr || e.message || String(error)).slice(-1500)}${tail ? `\nserver log: ${tail}` : ""}`);
  };
  try {
    await as("initdb", ["-D", data, "-U", USER, "--auth=scram-sha-256", `--pwfile=${path.join(dir, "pwfile")}`, "-E", "UTF8", "--no-sync", "--no-instructions"]);
  } catch (error) {
    throw await explain("initdb", error);
  }
  let port = 0;
  // fsync off (a throwaway cluster survives no power cut), but commits are synchronous: the crash
  // tests stop it with `-m immediate`, and an asynchronous commit still in WAL buffers would be lost
  // (a schema created at start, gone after the restart), which a real server never does.
  /** @type {(port: number) => string} */
  const serverOptions = (p) => `-c listen_addresses=127.0.0.1 -p ${p} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=32MB`;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await as("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", serverOptions(port), "start"]);
      break;
    } catch (error) {
      if (attempt >= 3) throw await explain("pg_ctl start", error);
    }
  }
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  let count = 0;
  return {
    url,
    password,
    port,
    osUser: owner ? { uid: owner.uid, gid: owner.gid } : undefined,
    async halt() {
      await as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    },
    async resume() {
      await as("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", serverOptions(port), "start"]);
    },
    async createDatabase(name = `t${process.pid}_${++count}_${Math.random().toString(36).slice(2, 8)}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
