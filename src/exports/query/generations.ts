/**
 * The query tables on disk, one immutable file per generation. The server's own writer (a
 * READ_WRITE DuckDB instance no caller's SQL ever reaches) makes generation N+1 from a copy of N
 * plus what changed (exports loaded or dropped, audit pages and lookups replaced), checkpoints
 * and closes it; the query worker then opens it READ_ONLY. A generation is never written again,
 * so readers need no lock and a restarted worker reopens it at once. The files live in a private
 * folder of this process (0700), removed when it closes; those of processes that died go first.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { CATALOG, createSchema } from "./database.js";

const PREFIX = "clari-mcp-query-";

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
async function removeOrphans(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^clari-mcp-query-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processRuns(pid)) await rm(path.join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

export class Generations {
  private folder: Promise<string> | undefined;
  private count = 0;
  private current: string | undefined;
  private writing: DuckDBConnection | undefined;

  constructor(private readonly memoryMb: number) {}

  /** Makes the next generation: a copy of the current one (or a new schema), changed by `apply`. */
  async next(apply: (con: DuckDBConnection) => Promise<void>): Promise<{ generation: number; file: string }> {
    const folder = await (this.folder ??= removeOrphans().then(() => mkdtemp(path.join(tmpdir(), `${PREFIX}${process.pid}-`))));
    const generation = ++this.count;
    const dir = path.join(folder, `gen-${generation}`);
    await mkdir(dir, { mode: 0o700 });
    const file = path.join(dir, `${CATALOG}.duckdb`);
    if (this.current) await copyFile(this.current, file);
    const instance = await DuckDBInstance.create(file, writerOptions(this.memoryMb));
    try {
      const con = await instance.connect();
      this.writing = con;
      try {
        await con.run("SET TimeZone = 'UTC'");
        if (!this.current) await createSchema(con);
        await apply(con);
        await con.run("CHECKPOINT");
      } finally {
        this.writing = undefined;
        con.closeSync();
      }
    } catch (error) {
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    instance.closeSync();
    const previous = this.current;
    this.current = file;
    // The worker holds the old file open until its queries end; on POSIX removing it now is safe.
    if (previous && process.platform !== "win32") await rm(path.dirname(previous), { recursive: true, force: true }).catch(() => undefined);
    return { generation, file };
  }

  /** Stops a load in progress (the server is closing) and removes the folder. */
  async close(): Promise<void> {
    this.writing?.interrupt();
    const folder = await this.folder?.catch(() => undefined);
    if (folder) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}
