/**
 * Export files on Postgres: 1 MB bytea chunks written under an upload id as the body streams in,
 * then published in one transaction (a reader never sees part of a file; a failed or aborted
 * write leaves nothing; an upload whose writer died is cleared by a start 25 h later); read back
 * chunk by chunk. Readers that need a local path get a copy materialised in a private temporary
 * folder (removed at close; one left by a killed process is removed by the next one to make its own).
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import type { FileStorage } from "../backend.js";
import { JOB_ID } from "../folder.js";
import { transaction, type Query } from "./db.js";

/** Bytes per stored chunk of an export file. */
export const CHUNK_BYTES = 1024 * 1024;
/** An upload never published (its writer died mid-download) is cleared after this. */
const ORPHAN_UPLOAD_MS = 25 * 60 * 60_000;

/** Local copies live in `<tmp>/clari-mcp-state-<pid>-<random>/`, made on first use. */
const LOCAL_PREFIX = "clari-mcp-state-";

/** This process's folder of local copies; those left by processes that died (a SIGKILL) go first. */
export async function privateLocalDir(): Promise<string> {
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

function checkJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new Error(`Refusing to store an export under the id ${JSON.stringify(jobId)}.`);
}

function notStored(jobId: string): Error {
  return Object.assign(new Error(`Export ${jobId} is not in the state database.`), { code: "ENOENT" });
}

export function pgFiles(pool: pg.Pool, q: Query, scope: string, local: () => Promise<string>): FileStorage {
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
    async write(jobId, body, signal, verify) {
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
        await verify?.();
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
    async size(jobId) {
      const file = await published(jobId);
      if (!file) throw notStored(jobId);
      const row = (await q("SELECT coalesce(sum(length(data)), 0)::BIGINT AS bytes FROM clari_mcp_chunks WHERE upload_id = $1", [file.uploadId])).rows[0];
      return Number(row?.bytes ?? 0);
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
