/**
 * Shared state in Postgres (`--state postgres://...`): several server processes ("replicas") on
 * one database behave as several processes on one folder do. Every row carries the credential's
 * scope (the same hash that names a store folder), so one org's or user's state is never served
 * to another. Loaded only when --state is given (node-postgres, `pg`).
 *
 * - Lock: a session-level `pg_advisory_lock` on a connection of its own, held for the storage
 *   work of one decision and never across a call to Clari (the same rule as the folder lock). A
 *   process killed while holding it loses its connection, and Postgres releases the lock at once.
 * - Index: one row per scope (the same JSON document as index.json, schema-checked on read, a
 *   damaged one moved to clari_mcp_index_aside), versioned by a sequence so `sync` stays cheap.
 * - Export files: 1 MB bytea chunks written under an upload id as the body streams in, then
 *   published in one transaction (a reader never sees part of a file); read back chunk by chunk.
 *   Readers that need a local path get a copy materialised in a private temporary folder
 *   (removed at close; one left by a killed process is removed by the next one to make its own).
 * - Journal, observations, task records: one row each.
 * The schema is created at start, idempotently, under a transaction-level advisory lock, and
 * versioned in clari_mcp_schema.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";
import pg from "pg";
import { redactSecrets } from "../security/redact.js";
import { redactStateUrl } from "../config.js";
import { indexText, parseIndex } from "./index-file.js";
import { processLock, type StoreLock } from "./lock.js";
import { DAMAGED, type FileStorage, type IndexStorage, type ObservationStorage, type Observed, type RecordStorage, type StateBackend } from "./backend.js";
import { JOB_ID } from "./folder.js";
import { changedTask, matches, newTaskRecord, parseTask, TaskExistsError, TASK_ID, type TaskRecord, type TaskRecords } from "./task-records.js";

export const SCHEMA_VERSION = 1;
/** Bytes per stored chunk of an export file. */
export const CHUNK_BYTES = 1024 * 1024;
/** An upload never published (its writer died mid-download) is cleared after this. */
const ORPHAN_UPLOAD_MS = 25 * 60 * 60_000;

/** Each version's statements, applied in order; every one is idempotent. */
const MIGRATIONS: string[][] = [
  [
    `CREATE SEQUENCE IF NOT EXISTS clari_mcp_index_version`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_index (scope text PRIMARY KEY, version bigint NOT NULL, body text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_index_aside (id bigserial PRIMARY KEY, scope text NOT NULL, body text NOT NULL, problem text NOT NULL, set_aside_at bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_journal (scope text NOT NULL, name text NOT NULL, body text NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (scope, name))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_journal_aside (id bigserial PRIMARY KEY, scope text NOT NULL, name text NOT NULL, body text NOT NULL, written_at bigint NOT NULL, settled boolean NOT NULL DEFAULT false)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_uploads (upload_id text PRIMARY KEY, scope text NOT NULL, job_id text NOT NULL, started_at bigint NOT NULL, published boolean NOT NULL DEFAULT false)`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_uploads_job ON clari_mcp_uploads (scope, job_id)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_chunks (upload_id text NOT NULL REFERENCES clari_mcp_uploads (upload_id) ON DELETE CASCADE, seq integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (upload_id, seq))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_files (scope text NOT NULL, job_id text NOT NULL, upload_id text NOT NULL, bytes bigint NOT NULL, written_at bigint NOT NULL, PRIMARY KEY (scope, job_id))`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_observations (id bigserial PRIMARY KEY, scope text NOT NULL, kind text NOT NULL, fetched_at bigint NOT NULL, body text NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_observations_kind ON clari_mcp_observations (scope, kind, fetched_at)`,
    `CREATE TABLE IF NOT EXISTS clari_mcp_tasks (scope text NOT NULL, task_id text NOT NULL, request_key text, job_id text, status text NOT NULL, owner text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, detail text, PRIMARY KEY (scope, task_id))`,
    `CREATE INDEX IF NOT EXISTS clari_mcp_tasks_created ON clari_mcp_tasks (scope, created_at)`,
  ],
];
/** Longest wait for the store's lock. */
const LOCK_WAIT_MS = 30_000;
/** Serialises schema creation between replicas starting at once. */
const SCHEMA_LOCK = "7126831652411550001";

export class StateDatabaseError extends Error {
  override readonly name = "StateDatabaseError";
}

export interface PostgresStateOptions {
  url: string;
  /** The credential's scope (a hash of base URL and API key). */
  scope: string;
  warn: (message: string) => void;
  /** Where local copies of files are materialised (default: a new private folder under the system's temp dir). */
  localDir?: string;
}

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** Connects, creates or checks the schema, and returns the backend; a database it cannot use is a clear StateDatabaseError. */
export async function openPostgresBackend(options: PostgresStateOptions): Promise<StateBackend> {
  const shown = redactStateUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 8,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: "clari-mcp",
    keepAlive: true,
  });
  pool.on("error", (error) => options.warn(`state database: an idle connection failed (${clean(error)})`));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StateDatabaseError) throw error;
    throw new StateDatabaseError(
      `Could not use the state database ${shown}: ${clean(error)}. Check --state / CLARI_MCP_STATE_URL (postgres://user:password@host:5432/database), ` +
        "that the server is up and accepts this user, and that the database exists. Nothing was changed.",
    );
  }
  const query: Query = (text, values) => pool.query(text, values);
  const scope = options.scope;
  const lock = advisoryLock(pool, scope, options.warn);
  let localDir: Promise<string> | undefined;
  const local = (): Promise<string> => (localDir ??= options.localDir ? Promise.resolve(options.localDir) : privateLocalDir());
  return {
    description: `database ${shown}`,
    lock,
    index: pgIndex(pool, query, scope),
    files: pgFiles(pool, query, scope, local),
    journal: pgRecords(pool, query, scope),
    observations: pgObservations(query, scope),
    tasks: pgTasks(pool, query, scope),
    async close() {
      await pool.end().catch(() => undefined);
      if (localDir && !options.localDir) await rm(await localDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** Local copies live in `<tmp>/clari-mcp-state-<pid>-<random>/`, made on first use. */
const LOCAL_PREFIX = "clari-mcp-state-";

/** This process's folder of local copies; those left by processes that died (a SIGKILL) go first. */
async function privateLocalDir(): Promise<string> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = Number(new RegExp(`^${LOCAL_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (pid && pid !== process.pid && !processRuns(pid)) await rm(path.join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
  return mkdtemp(path.join(tmpdir(), `${LOCAL_PREFIX}${process.pid}-`));
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An error's message with secrets (the database password among them) scrubbed. */
function clean(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return redactSecrets(String(e?.message || e?.code || error));
}

async function migrate(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (q) => {
    await q("SELECT pg_advisory_xact_lock($1::bigint)", [SCHEMA_LOCK]);
    await q("CREATE TABLE IF NOT EXISTS clari_mcp_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL, updated_at bigint NOT NULL)");
    const current = Number((await q("SELECT version FROM clari_mcp_schema WHERE id = 1")).rows[0]?.version ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new StateDatabaseError(`The state database's schema is version ${current}, newer than this clari-mcp knows (${SCHEMA_VERSION}): upgrade clari-mcp, or give it another database. Nothing was changed.`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) for (const statement of MIGRATIONS[version - 1]!) await q(statement);
    await q("INSERT INTO clari_mcp_schema (id, version, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at", [SCHEMA_VERSION, Date.now()]);
  });
}

async function transaction<T>(pool: pg.Pool, fn: (q: Query) => Promise<T>): Promise<T> {
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

/** The lock's key: 64 bits of the scope's hash. */
function lockKey(scope: string): string {
  return createHash("sha256").update(`clari-mcp store lock\n${scope}`).digest().readBigInt64BE(0).toString();
}

function advisoryLock(pool: pg.Pool, scope: string, warn: (message: string) => void): StoreLock {
  const inProcess = processLock();
  const key = lockKey(scope);
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      return inProcess.run(async () => {
        const client = await pool.connect();
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
  };
}

function pgIndex(pool: pg.Pool, q: Query, scope: string): IndexStorage {
  return {
    async version() {
      const row = (await q("SELECT version FROM clari_mcp_index WHERE scope = $1", [scope])).rows[0];
      return row ? String(row.version) : "";
    },
    async read() {
      const row = (await q("SELECT body FROM clari_mcp_index WHERE scope = $1", [scope])).rows[0];
      if (!row) return { entries: [] };
      const { entries, problem } = parseIndex(Buffer.from(String(row.body), "utf8"));
      if (!problem) return { entries };
      const id = await transaction(pool, async (t) => {
        const aside = await t("INSERT INTO clari_mcp_index_aside (scope, body, problem, set_aside_at) SELECT scope, body, $2, $3 FROM clari_mcp_index WHERE scope = $1 RETURNING id", [scope, problem, Date.now()]);
        await t("DELETE FROM clari_mcp_index WHERE scope = $1", [scope]);
        return aside.rows[0]?.id as string | undefined;
      });
      return { entries, damaged: { movedTo: `clari_mcp_index_aside row ${id ?? "?"}`, problem, salvaged: entries.length } };
    },
    async write(entries) {
      await q(
        "INSERT INTO clari_mcp_index (scope, version, body) VALUES ($1, nextval('clari_mcp_index_version'), $2) ON CONFLICT (scope) DO UPDATE SET version = EXCLUDED.version, body = EXCLUDED.body",
        [scope, indexText(entries)],
      );
    },
  };
}

function checkJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new Error(`Refusing to store an export under the id ${JSON.stringify(jobId)}.`);
}

function notStored(jobId: string): Error {
  return Object.assign(new Error(`Export ${jobId} is not in the state database.`), { code: "ENOENT" });
}

function pgFiles(pool: pg.Pool, q: Query, scope: string, local: () => Promise<string>): FileStorage {
  const published = async (jobId: string): Promise<{ uploadId: string; bytes: number } | undefined> => {
    checkJobId(jobId);
    const row = (await q("SELECT upload_id, bytes FROM clari_mcp_files WHERE scope = $1 AND job_id = $2", [scope, jobId])).rows[0];
    return row ? { uploadId: String(row.upload_id), bytes: Number(row.bytes) } : undefined;
  };
  const stream = (jobId: string): Readable =>
    Readable.from(
      (async function* () {
        const file = await published(jobId);
        if (!file) throw notStored(jobId);
        let sent = 0;
        for (let seq = 0; ; seq++) {
          const row = (await q("SELECT data FROM clari_mcp_chunks WHERE upload_id = $1 AND seq = $2", [file.uploadId, seq])).rows[0];
          if (!row) break;
          const data = row.data as Buffer;
          sent += data.length;
          yield data;
        }
        if (sent !== file.bytes) throw new Error(`Export ${jobId} was replaced or removed while it was read (${sent} of ${file.bytes} bytes); read it again.`);
      })(),
      { objectMode: false },
    );
  const dropLocal = async (jobId: string): Promise<void> => {
    const dir = await local();
    for (const name of await readdir(dir).catch(() => [] as string[])) if (name.startsWith(`${jobId}.`)) await rm(path.join(dir, name), { force: true });
  };
  return {
    async write(jobId, body, signal) {
      checkJobId(jobId);
      const uploadId = randomUUID();
      // Nothing is awaited before the pipeline takes the body: a caller may already be reading it (to count bytes).
      const registered = q("INSERT INTO clari_mcp_uploads (upload_id, scope, job_id, started_at) VALUES ($1, $2, $3, $4)", [uploadId, scope, jobId, Date.now()]);
      registered.catch(() => undefined);
      let seq = 0;
      let bytes = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        await registered;
        if (pendingBytes === 0) return;
        const data = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        await q("INSERT INTO clari_mcp_chunks (upload_id, seq, data) VALUES ($1, $2, $3)", [uploadId, seq++, data]);
      };
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          bytes += chunk.length;
          if (pendingBytes >= CHUNK_BYTES) flush().then(() => done(), done);
          else done();
        },
        final(done) {
          flush().then(() => done(), done);
        },
      });
      try {
        await pipeline(body, sink, signal ? { signal } : {});
        await transaction(pool, async (t) => {
          await t("UPDATE clari_mcp_uploads SET published = true WHERE upload_id = $1", [uploadId]);
          await t(
            "INSERT INTO clari_mcp_files (scope, job_id, upload_id, bytes, written_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, job_id) DO UPDATE SET upload_id = EXCLUDED.upload_id, bytes = EXCLUDED.bytes, written_at = EXCLUDED.written_at",
            [scope, jobId, uploadId, bytes, Date.now()],
          );
          // The file this one replaces (written by another replica meanwhile, say) goes.
          await t("DELETE FROM clari_mcp_uploads WHERE scope = $1 AND job_id = $2 AND published AND upload_id <> $3", [scope, jobId, uploadId]);
        });
      } catch (error) {
        await q("DELETE FROM clari_mcp_uploads WHERE upload_id = $1", [uploadId]).catch(() => undefined);
        throw error;
      }
    },
    async read(jobId) {
      const chunks: Buffer[] = [];
      for await (const chunk of stream(jobId)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    stream,
    async localPath(jobId) {
      const file = await published(jobId);
      if (!file) throw notStored(jobId);
      const dir = await local();
      const target = path.join(dir, `${jobId}.${file.uploadId}`);
      const have = await stat(target).catch(() => undefined);
      if (have?.size === file.bytes) return target;
      const temp = `${target}.${randomUUID()}.part`;
      try {
        await pipeline(stream(jobId), createWriteStream(temp, { mode: 0o600 }));
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      // Copies of a file this one replaced are stale.
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith(`${jobId}.`) && name !== path.basename(target) && !name.endsWith(".part")) await rm(path.join(dir, name), { force: true });
      }
      return target;
    },
    async remove(jobId) {
      checkJobId(jobId);
      await transaction(pool, async (t) => {
        await t("DELETE FROM clari_mcp_files WHERE scope = $1 AND job_id = $2", [scope, jobId]);
        await t("DELETE FROM clari_mcp_uploads WHERE scope = $1 AND job_id = $2 AND published", [scope, jobId]);
      });
      await dropLocal(jobId);
    },
    async head(jobId, bytes) {
      const file = await published(jobId);
      if (!file) throw notStored(jobId);
      const row = (await q("SELECT substring(data FROM 1 FOR $2) AS head FROM clari_mcp_chunks WHERE upload_id = $1 AND seq = 0", [file.uploadId, bytes])).rows[0];
      return row ? (row.head as Buffer) : Buffer.alloc(0);
    },
    async recover() {
      await q("DELETE FROM clari_mcp_uploads WHERE scope = $1 AND NOT published AND started_at < $2", [scope, Date.now() - ORPHAN_UPLOAD_MS]);
      await q("DELETE FROM clari_mcp_uploads u WHERE scope = $1 AND published AND NOT EXISTS (SELECT 1 FROM clari_mcp_files f WHERE f.scope = u.scope AND f.upload_id = u.upload_id)", [scope]);
      const rows = (await q("SELECT job_id, bytes, written_at FROM clari_mcp_files WHERE scope = $1 ORDER BY job_id", [scope])).rows;
      return rows.map((r) => ({ jobId: String(r.job_id), bytes: Number(r.bytes), writtenAt: Number(r.written_at) }));
    },
    dropLocal,
  };
}

function pgRecords(pool: pg.Pool, q: Query, scope: string): RecordStorage {
  const setAside = (t: Query, name: string): Promise<unknown> =>
    t("WITH moved AS (DELETE FROM clari_mcp_journal WHERE scope = $1 AND name = $2 RETURNING scope, name, body, updated_at) INSERT INTO clari_mcp_journal_aside (scope, name, body, written_at) SELECT scope, name, body, updated_at FROM moved", [scope, name]);
  return {
    async read(name) {
      const row = (await q("SELECT body FROM clari_mcp_journal WHERE scope = $1 AND name = $2", [scope, name])).rows[0];
      if (!row) return undefined;
      try {
        return JSON.parse(String(row.body)) as unknown;
      } catch {
        await setAside(q, name).catch(() => undefined);
        return DAMAGED;
      }
    },
    async write(name, value) {
      await q("INSERT INTO clari_mcp_journal (scope, name, body, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (scope, name) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at", [
        scope,
        name,
        JSON.stringify(value),
        Date.now(),
      ]);
    },
    async remove(name) {
      await q("DELETE FROM clari_mcp_journal WHERE scope = $1 AND name = $2", [scope, name]);
    },
    async names() {
      return (await q("SELECT name FROM clari_mcp_journal WHERE scope = $1 ORDER BY name", [scope])).rows.map((r) => String(r.name));
    },
    // Kept, not deleted: its bytes may still name a jobId a person can recover by hand.
    async setAside(name) {
      await transaction(pool, (t) => setAside(t, name));
    },
    async setAsideAt(name) {
      const row = (await q("SELECT min(written_at) AS at FROM clari_mcp_journal_aside WHERE scope = $1 AND name = $2 AND NOT settled", [scope, name])).rows[0];
      return row?.at == null ? undefined : Number(row.at);
    },
    async settleSetAside(name) {
      await q("UPDATE clari_mcp_journal_aside SET settled = true WHERE scope = $1 AND name = $2 AND NOT settled", [scope, name]);
    },
  };
}

function pgObservations(q: Query, scope: string): ObservationStorage {
  return {
    async append(kind, observed, { maxPerKind, maxAgeMs }) {
      await q("INSERT INTO clari_mcp_observations (scope, kind, fetched_at, body) VALUES ($1, $2, $3, $4)", [scope, kind, observed.fetchedAt, JSON.stringify(observed)]);
      await q(
        "DELETE FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 AND (fetched_at < $3 OR id NOT IN (SELECT id FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 ORDER BY fetched_at DESC, id DESC LIMIT $4))",
        [scope, kind, Date.now() - maxAgeMs, maxPerKind],
      );
    },
    async list(kind) {
      const rows = (await q("SELECT body FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 ORDER BY fetched_at, id", [scope, kind])).rows;
      const out: Observed<unknown>[] = [];
      for (const row of rows) {
        try {
          out.push(JSON.parse(String(row.body)) as Observed<unknown>);
        } catch {
          /* damaged: nothing to ask of it */
        }
      }
      return out;
    },
  };
}

function taskOf(row: Record<string, unknown>): TaskRecord | undefined {
  let detail: unknown;
  try {
    detail = row.detail == null ? undefined : JSON.parse(String(row.detail));
  } catch {
    detail = undefined;
  }
  return parseTask({
    taskId: row.task_id,
    requestKey: row.request_key ?? undefined,
    jobId: row.job_id ?? undefined,
    status: row.status,
    owner: row.owner,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    detail,
  });
}

function taskValues(scope: string, r: TaskRecord): unknown[] {
  return [scope, r.taskId, r.requestKey ?? null, r.jobId ?? null, r.status, r.owner, r.createdAt, r.updatedAt, r.detail === undefined ? null : JSON.stringify(r.detail)];
}

function pgTasks(pool: pg.Pool, q: Query, scope: string): TaskRecords {
  const checkId = (taskId: string): void => {
    if (!TASK_ID.test(taskId)) throw new Error(`Not a task id: ${JSON.stringify(taskId.slice(0, 40))}.`);
  };
  return {
    async create(task) {
      const record = newTaskRecord(task);
      const inserted = await q(
        "INSERT INTO clari_mcp_tasks (scope, task_id, request_key, job_id, status, owner, created_at, updated_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (scope, task_id) DO NOTHING",
        taskValues(scope, record),
      );
      if (inserted.rowCount !== 1) throw new TaskExistsError(`Task ${record.taskId} exists.`);
      return record;
    },
    async get(taskId) {
      if (!TASK_ID.test(taskId)) return undefined;
      const row = (await q("SELECT * FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2", [scope, taskId])).rows[0];
      return row ? taskOf(row) : undefined;
    },
    async update(taskId, change) {
      checkId(taskId);
      return transaction(pool, async (t) => {
        const row = (await t("SELECT * FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2 FOR UPDATE", [scope, taskId])).rows[0];
        const record = row ? taskOf(row) : undefined;
        if (!record) return undefined;
        const next = changedTask(record, change);
        await t("UPDATE clari_mcp_tasks SET request_key = $3, job_id = $4, status = $5, owner = $6, created_at = $7, updated_at = $8, detail = $9 WHERE scope = $1 AND task_id = $2", taskValues(scope, next));
        return next;
      });
    },
    async list(filter = {}) {
      const where = ["scope = $1"];
      const values: unknown[] = [scope];
      for (const [column, value] of [["owner", filter.owner], ["status", filter.status], ["request_key", filter.requestKey], ["job_id", filter.jobId]] as const) {
        if (value === undefined) continue;
        values.push(value);
        where.push(`${column} = $${values.length}`);
      }
      values.push(filter.limit ?? 100);
      const rows = (await q(`SELECT * FROM clari_mcp_tasks WHERE ${where.join(" AND ")} ORDER BY created_at DESC, task_id LIMIT $${values.length}`, values)).rows;
      return rows.map(taskOf).filter((r): r is TaskRecord => r !== undefined && matches(r, filter));
    },
    async remove(taskId) {
      checkId(taskId);
      await q("DELETE FROM clari_mcp_tasks WHERE scope = $1 AND task_id = $2", [scope, taskId]);
    },
  };
}
