/**
 * The query tables on disk, one immutable file per generation. The server's own writer (a
 * READ_WRITE DuckDB instance no caller's SQL ever reaches) makes generation N+1 from a copy of N
 * plus what changed (exports loaded or dropped, audit pages and lookups replaced), checkpoints
 * and closes it; the query worker then opens it READ_ONLY. A generation is never written again,
 * so readers need no lock and a restarted worker reopens it at once. The files live in a private
 * folder of this process (0700), removed when it closes; those of processes that died go first.
 *
 * With a kept folder (the store's own, not memory mode), each generation is also published there
 * as `latest-<schema>.duckdb` (a hard link: the file never changes), and the first generation of
 * a new process starts from it: a restart loads only what changed since, never parses again
 * what was already loaded.
 */
import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { CATALOG, createSchema, SCHEMA_TAG } from "./database.js";
import { stopAppends } from "./append.js";

const PREFIX = "clari-mcp-query-";

/**
 * The kept generation of an earlier process could not be read (cut short, overwritten): it was
 * set aside (renamed `.bad-<time>`), and the caller starts again from an empty schema.
 */
export class KeptCopyRefused extends Error {
  override readonly name = "KeptCopyRefused";
}

function writerOptions(memoryMb: number): Record<string, string> {
  return {
    memory_limit: `${memoryMb}MB`,
    // One thread and no insertion order kept: loading an export's rows then holds less memory at once.
    threads: "1",
    preserve_insertion_order: "false",
    autoload_known_extensions: "false",
    autoinstall_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
  };
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Folders left by processes that died (a SIGKILL): removed before this process makes its own. */
async function removeOrphans(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^clari-mcp-query-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processRuns(pid)) await rm(path.join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** What DuckDB says of a file that is not whole (and checkWhole of one cut short). */
const COPY_DAMAGED = /not a valid DuckDB database|Corrupt|checksum|Could not read|cut short|Invalid database|Serialization Error/i;

/** DuckDB's file begins with three 4 KB headers, then its blocks. */
const FILE_HEADERS_BYTES = 3 * 4096;

/**
 * Throws when the file is shorter than the blocks its header lists: a copy cut short opens, and
 * fails only when a query reads a missing block (every query, for the rest of the process).
 */
async function checkWhole(con: DuckDBConnection, file: string): Promise<void> {
  const [row] = (await con.runAndReadAll("SELECT total_blocks::BIGINT, block_size::BIGINT FROM pragma_database_size() WHERE database_name = current_database()")).getRows();
  const needed = Number(row?.[0] ?? 0) * Number(row?.[1] ?? 0) + FILE_HEADERS_BYTES;
  const size = (await stat(file)).size;
  if (size < needed) throw new Error(`the file is ${size} bytes, shorter than the ${needed} its blocks need (cut short)`);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export class Generations {
  private folder: Promise<string> | undefined;
  private count = 0;
  private current: string | undefined;
  private writing: DuckDBConnection | undefined;
  /** The empty schema made ahead of the first generation (prepare). */
  private template: Promise<string | undefined> | undefined;

  /** `kept`: the folder a generation is published in for the next process (none in memory mode). */
  constructor(
    private readonly memoryMb: number,
    private readonly kept?: string,
  ) {}

  private get latest(): string | undefined {
    return this.kept ? path.join(this.kept, `latest-${SCHEMA_TAG}.duckdb`) : undefined;
  }

  /**
   * Makes the next generation: a copy of the current one (for the first, of the kept latest, or
   * a new schema), changed by `apply`, which is told whether it starts from an empty schema.
   */
  async next(apply: (con: DuckDBConnection, fresh: boolean) => Promise<void>): Promise<{ generation: number; file: string }> {
    const folder = await this.ownFolder();
    const generation = ++this.count;
    const dir = path.join(folder, `gen-${generation}`);
    await mkdir(dir, { mode: 0o700 });
    const file = path.join(dir, `${CATALOG}.duckdb`);
    const template = await this.template?.catch(() => undefined);
    const base = this.current ?? ((await this.hasKeptLatest()) ? this.latest : template);
    const fresh = base === undefined || base === template;
    const fromKept = !this.current && base !== undefined && base === this.latest;
    // Which kept copy this is: another process may publish a new one meanwhile, which is not set aside.
    const keptInode = fromKept ? (await stat(base).catch(() => undefined))?.ino : undefined;
    // A copy that fails (a full disk, the base removed) leaves no folder behind.
    if (base) await copyFile(base, file).catch(async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, writerOptions(this.memoryMb));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw fromKept ? await this.refuseKept(error, keptInode) : error;
    }
    try {
      const con = await instance.connect();
      this.writing = con;
      try {
        await con.run("SET TimeZone = 'UTC'");
        if (fromKept) await checkWhole(con, file);
        if (!base) await createSchema(con);
        await apply(con, fresh);
        await con.run("CHECKPOINT");
      } finally {
        this.writing = undefined;
        con.closeSync();
      }
    } catch (error) {
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
      throw fromKept ? await this.refuseKept(error, keptInode) : error;
    }
    instance.closeSync();
    const previous = this.current;
    this.current = file;
    await this.publish(file);
    // The worker holds the old file open until its queries end; on POSIX removing it now is safe.
    if (previous && process.platform !== "win32") await rm(path.dirname(previous), { recursive: true, force: true }).catch(() => undefined);
    return { generation, file };
  }

  /** This process's private folder (orphans of dead processes removed first). */
  private ownFolder(): Promise<string> {
    const parent = this.kept ?? tmpdir();
    return (this.folder ??= mkdir(parent, { recursive: true, mode: 0o700 })
      .then(() => removeOrphans(parent))
      .then(() => mkdtemp(path.join(parent, `${PREFIX}${process.pid}-`))));
  }

  /**
   * A first generation made from the kept copy failed. When the copy itself is at fault (it cannot
   * be opened, is cut short, or a block cannot be read), it is set aside (the one set aside before
   * is removed) so the next attempt starts from an empty schema rather than failing every query
   * the same way; any other failure (an interrupt, memory, a full disk) stands, the copy kept.
   */
  private async refuseKept(error: unknown, keptInode: number | undefined): Promise<unknown> {
    const why = (error as Error).message ?? String(error);
    const latest = this.latest;
    if (!latest || !COPY_DAMAGED.test(why)) return error;
    const refused = new KeptCopyRefused(`the query tables kept by an earlier run could not be read (${why.split("\n")[0]}); set aside, the stored exports are loaded again`);
    const now = await stat(latest).catch(() => undefined);
    // Replaced by another process meanwhile (or gone): nothing to set aside; the next attempt reads the new one.
    if (!now || now.ino !== keptInode) return refused;
    const folder = path.dirname(latest);
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (name.startsWith(`${path.basename(latest)}.bad-`)) await rm(path.join(folder, name), { force: true }).catch(() => undefined);
    }
    const gone = await rename(latest, `${latest}.bad-${Date.now()}`).then(
      () => true,
      () => rm(latest, { force: true }).then(() => true, () => false),
    );
    // Left in place, it would be refused again at once: the failure stands.
    return gone ? refused : error;
  }

  /** A generation kept by an earlier process exists. */
  private async hasKeptLatest(): Promise<boolean> {
    return this.latest !== undefined && (await exists(this.latest));
  }

  /**
   * An export is on its way: make the empty schema now (~70 ms of views and macros), so the
   * first generation only copies it. Nothing to do once a generation exists or one was kept.
   */
  prepare(): Promise<void> {
    this.template ??= (async () => {
      if (this.current || (await this.hasKeptLatest())) return undefined;
      const dir = path.join(await this.ownFolder(), "template");
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${CATALOG}.duckdb`);
      await rm(file, { force: true });
      const instance = await DuckDBInstance.create(file, writerOptions(this.memoryMb));
      try {
        const con = await instance.connect();
        try {
          await createSchema(con);
          await con.run("CHECKPOINT");
        } finally {
          con.closeSync();
        }
      } finally {
        instance.closeSync();
      }
      return file;
    })();
    return this.template.then(() => undefined);
  }

  /** The generation becomes the kept latest (a hard link, replaced atomically; a copy where links fail). */
  private async publish(file: string): Promise<void> {
    const latest = this.latest;
    if (!latest) return;
    const staging = `${latest}.${process.pid}.tmp`;
    try {
      await rm(staging, { force: true });
      await link(file, staging).catch(() => copyFile(file, staging));
      await rename(staging, latest);
    } catch {
      await rm(staging, { force: true }).catch(() => undefined);
    }
  }

  /** Stops a load in progress (the server is closing) and removes the folder. */
  async close(): Promise<void> {
    if (this.writing) {
      this.writing.interrupt();
      // A load that has given the thread up (append.ts) has no statement to interrupt: it stops at its next turn.
      stopAppends(this.writing);
    }
    const folder = await this.folder?.catch(() => undefined);
    if (folder) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}
