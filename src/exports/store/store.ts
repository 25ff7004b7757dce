/**
 * The export store: each DONE export's file is downloaded once into a local folder (0700, files
 * 0600) with an index of what was asked, so resources and queries need no second download, an
 * identical question inside the freshness window spends no quota, and a restart loses nothing.
 * Jobs still running are journalled too, so a restarted server can resume waiting on them.
 * Without a folder (--no-cache) the same API keeps everything in memory.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export type ExportKind = "forecast" | "audit" | "activity";

export interface StoredExport {
  jobId: string;
  kind: ExportKind;
  /** Canonical form of the request that produced it (see requestKey). */
  requestKey: string;
  request: Record<string, unknown>;
  mimeType: "application/json" | "text/csv";
  bytes: number;
  /** When the file landed in the store (epoch ms). */
  storedAt: number;
  /** When Clari finished the job (epoch ms), if known. */
  completedAt: number;
  /** After this the entry and its file are removed (Clari's expiredTime). */
  expiresAt: number;
  title?: string | undefined;
  clariFileName?: string | undefined;
  rowsTruncated?: boolean | undefined;
  cellsTruncated?: boolean | undefined;
}

export interface PendingJob {
  jobId: string;
  kind: ExportKind;
  requestKey: string;
  request: Record<string, unknown>;
  queuedAt: number;
}

interface IndexFile {
  version: 1;
  exports: StoredExport[];
  pending: PendingJob[];
}

const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;
const MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

/** Stable key for "the same export asked again": operation plus parameters with sorted keys. */
export function requestKey(kind: string, request: Record<string, unknown>): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, sorted(v)]),
      );
    }
    return value;
  };
  return `${kind}:${JSON.stringify(sorted(request))}`;
}

export class ExportStore {
  private readonly exports = new Map<string, StoredExport>();
  private readonly pendingJobs = new Map<string, PendingJob>();
  private readonly memoryFiles = new Map<string, Buffer>();
  private readonly listeners = new Set<() => void>();
  /** Job ids this process removed: another process's copy of the index must not bring them back. */
  private readonly dropped = new Set<string>();
  private writeChain: Promise<void> = Promise.resolve();

  private constructor(
    /** undefined = memory only. */
    readonly dir: string | undefined,
    private readonly now: () => number,
  ) {}

  static async open(dir: string | undefined, now: () => number = Date.now): Promise<ExportStore> {
    const store = new ExportStore(dir, now);
    if (dir) {
      await mkdir(path.join(dir, "files"), { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await chmod(path.join(dir, "files"), 0o700);
      await store.load();
      await store.purgeExpired();
    }
    return store;
  }

  get persistent(): boolean {
    return this.dir !== undefined;
  }

  /** Called whenever the set of stored exports changes (for resources/list_changed). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): StoredExport[] {
    const now = this.now();
    return [...this.exports.values()].filter((e) => e.expiresAt > now).sort((a, b) => b.storedAt - a.storedAt);
  }

  get(jobId: string): StoredExport | undefined {
    const entry = this.exports.get(jobId);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  /** The newest stored export for this request completed within maxAgeMs, if any. */
  findFresh(key: string, maxAgeMs: number): StoredExport | undefined {
    const now = this.now();
    return this.list().find((e) => e.requestKey === key && now - e.completedAt <= maxAgeMs);
  }

  pending(): PendingJob[] {
    return [...this.pendingJobs.values()];
  }

  findPending(key: string): PendingJob | undefined {
    return this.pending().find((p) => p.requestKey === key);
  }

  async recordPending(job: PendingJob): Promise<void> {
    this.pendingJobs.set(job.jobId, job);
    await this.persist();
  }

  async clearPending(jobId: string): Promise<void> {
    if (this.pendingJobs.delete(jobId)) {
      this.dropped.add(jobId);
      await this.persist();
    }
  }

  /** Stream a downloaded export into the store and index it. */
  async save(meta: Omit<StoredExport, "bytes" | "storedAt">, body: Readable | Buffer | string): Promise<StoredExport> {
    let bytes: number;
    if (this.dir) {
      const final = this.filePath(meta.jobId);
      const temp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
      const source = typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
      let count = 0;
      source.on("data", (chunk: Buffer) => {
        count += chunk.length;
      });
      try {
        await pipeline(source, createWriteStream(temp, { mode: 0o600 }));
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      bytes = count;
    } else {
      const buffer = typeof body === "string" || Buffer.isBuffer(body) ? Buffer.from(body) : await collect(body);
      this.memoryFiles.set(meta.jobId, buffer);
      bytes = buffer.length;
    }
    const entry: StoredExport = { ...meta, bytes, storedAt: this.now() };
    this.exports.set(entry.jobId, entry);
    this.dropped.delete(entry.jobId);
    this.pendingJobs.delete(entry.jobId);
    if (!this.dir) this.evictMemory();
    await this.persist();
    this.emit();
    return entry;
  }

  /** Drop a stored export (a damaged download), journalling its job again so it can be re-fetched. */
  async discard(jobId: string, pending: PendingJob | undefined): Promise<void> {
    const entry = this.exports.get(jobId);
    this.exports.delete(jobId);
    this.dropped.add(jobId);
    this.memoryFiles.delete(jobId);
    if (this.dir && entry) await rm(this.filePath(jobId), { force: true });
    if (pending) this.pendingJobs.set(jobId, pending);
    await this.persist();
  }

  /** The stored file's full content. */
  async read(jobId: string): Promise<Buffer> {
    if (!this.get(jobId)) throw new Error(`Export ${jobId} is not in the store.`);
    if (!this.dir) return this.memoryFiles.get(jobId) ?? Buffer.alloc(0);
    return readFile(this.filePath(jobId));
  }

  /** A stream of the stored file (large files are never read whole). */
  openStream(jobId: string): Readable {
    if (!this.get(jobId)) throw new Error(`Export ${jobId} is not in the store.`);
    if (!this.dir) return Readable.from([this.memoryFiles.get(jobId) ?? Buffer.alloc(0)]);
    return createReadStream(this.filePath(jobId));
  }

  /** Local path of a stored file, or undefined in memory mode. */
  localPath(jobId: string): string | undefined {
    return this.dir && this.get(jobId) ? this.filePath(jobId) : undefined;
  }

  async purgeExpired(): Promise<number> {
    const now = this.now();
    const expired = [...this.exports.values()].filter((e) => e.expiresAt <= now);
    for (const entry of expired) {
      this.exports.delete(entry.jobId);
      this.dropped.add(entry.jobId);
      this.memoryFiles.delete(entry.jobId);
      if (this.dir) await rm(this.filePath(entry.jobId), { force: true });
    }
    // A job journalled as pending for longer than Clari keeps results can no longer be resumed.
    for (const job of this.pendingJobs.values()) if (now - job.queuedAt > THIRTY_DAYS) this.pendingJobs.delete(job.jobId);
    if (expired.length) {
      await this.persist();
      this.emit();
    }
    return expired.length;
  }

  private filePath(jobId: string): string {
    // jobIds are validated upstream; the store still refuses anything that is not a plain name.
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(jobId)) throw new Error(`Refusing to store an export under the id ${JSON.stringify(jobId)}.`);
    return path.join(this.dir!, "files", jobId);
  }

  private async load({ keepOwn = false } = {}): Promise<void> {
    let index: IndexFile;
    try {
      index = JSON.parse(await readFile(path.join(this.dir!, "index.json"), "utf8")) as IndexFile;
    } catch {
      return; // no index yet, or unreadable: start empty rather than refuse to serve
    }
    const take = (jobId: string): boolean => !this.dropped.has(jobId) && !(keepOwn && (this.exports.has(jobId) || this.pendingJobs.has(jobId)));
    for (const entry of index.exports ?? []) if (take(entry.jobId)) this.exports.set(entry.jobId, entry);
    for (const job of index.pending ?? []) if (take(job.jobId) && !this.exports.has(job.jobId)) this.pendingJobs.set(job.jobId, job);
  }

  /** Memory mode keeps at most MEMORY_LIMIT_BYTES of files; the oldest go first. */
  private evictMemory(): void {
    let total = 0;
    for (const buffer of this.memoryFiles.values()) total += buffer.length;
    for (const entry of [...this.exports.values()].sort((a, b) => a.storedAt - b.storedAt)) {
      if (total <= MEMORY_LIMIT_BYTES || this.memoryFiles.size <= 1) break;
      total -= this.memoryFiles.get(entry.jobId)?.length ?? 0;
      this.memoryFiles.delete(entry.jobId);
      this.exports.delete(entry.jobId);
    }
  }

  /**
   * Writes are serialised and atomic (temp file + rename), so the index is never half written.
   * Entries another process wrote meanwhile (two clients on one cache folder) are merged in, not
   * overwritten; those this process removed stay removed.
   */
  private persist(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    const dir = this.dir;
    // A failed write must not wedge every later one.
    this.writeChain = this.writeChain.catch(() => undefined).then(async () => {
      await this.load({ keepOwn: true });
      const index: IndexFile = { version: 1, exports: [...this.exports.values()], pending: [...this.pendingJobs.values()] };
      const temp = path.join(dir, `index.json.${process.pid}.tmp`);
      await writeFile(temp, JSON.stringify(index), { mode: 0o600 });
      await rename(temp, path.join(dir, "index.json"));
    });
    return this.writeChain;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const EXPORT_LIFETIME_MS = THIRTY_DAYS;
