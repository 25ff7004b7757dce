/**
 * The export store: each DONE export's file is downloaded once into a local folder (0700, files
 * 0600) with an index of what was asked, so resources and queries need no second download, an
 * identical question inside the freshness window spends no quota, and a restart loses nothing.
 * Several processes may share the folder: every change is made under the folder's lock after
 * re-reading the index, and every decision re-reads it first (sync). The folder is bounded: over
 * its size cap the least recently used exports go first. Without a folder (--no-cache, the
 * sandbox) the same API keeps files in memory, within the same cap.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { INDEX_FILE, readIndex, writeIndex, type ExportKind, type IndexRead, type StoredExport } from "./index-file.js";
import { folderLock, processLock, type StoreLock } from "./lock.js";

export type { ExportKind, StoredExport } from "./index-file.js";

export const EXPORT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
export const DEFAULT_STORE_BYTES = 2048 * 1024 * 1024;

export interface StoreOptions {
  /** Most bytes of export files kept; the least recently used go first. */
  maxBytes?: number;
  warn?: (message: string) => void;
  now?: () => number;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ExportStore {
  private exports = new Map<string, StoredExport>();
  private readonly memoryFiles = new Map<string, Buffer>();
  private readonly listeners = new Set<() => void>();
  /** The index file as last read (mtime and size): sync re-reads it only when it changed. */
  private seen = "";
  readonly lock: StoreLock;
  private readonly maxBytes: number;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;

  private constructor(
    /** undefined = memory only. */
    readonly dir: string | undefined,
    options: StoreOptions,
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_STORE_BYTES;
    this.warn = options.warn ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.lock = dir ? folderLock(dir, (error) => this.warn(`store lock lost: ${error.message}`)) : processLock();
  }

  static async open(dir: string | undefined, options: StoreOptions = {}): Promise<ExportStore> {
    const store = new ExportStore(dir, options);
    if (dir) {
      await mkdir(path.join(dir, "files"), { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await chmod(path.join(dir, "files"), 0o700);
      await store.lock.run(() => store.recover());
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

  /**
   * Take in what other processes on the folder changed since the last look (cheap when nothing
   * did). `underLock`: the caller already holds the store's lock (it is not re-entrant).
   */
  async sync({ underLock = false } = {}): Promise<void> {
    if (!this.dir) return;
    const info = await stat(path.join(this.dir, INDEX_FILE)).catch(() => undefined);
    const seen = info ? `${info.mtimeMs}:${info.size}:${info.ino}` : "";
    if (seen === this.seen) return;
    const read = await readIndex(this.dir);
    if (read.damaged) {
      // Damaged after start: repair as at start.
      await (underLock ? this.recover(read) : this.lock.run(() => this.recover(read)));
      return;
    }
    const { entries } = read;
    const before = this.exports;
    this.exports = new Map(entries.map((e) => [e.jobId, { ...e, lastUsedAt: Math.max(e.lastUsedAt ?? 0, before.get(e.jobId)?.lastUsedAt ?? 0) || undefined }]));
    this.seen = seen;
    if (before.size !== this.exports.size || [...before.keys()].some((id) => !this.exports.has(id))) this.emit();
  }

  list(): StoredExport[] {
    const now = this.now();
    return [...this.exports.values()].filter((e) => e.expiresAt > now).sort((a, b) => b.storedAt - a.storedAt);
  }

  get(jobId: string): StoredExport | undefined {
    const entry = this.exports.get(jobId);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  /** The newest stored export for this request completed within maxAgeMs, if any (0 = never reuse). */
  findFresh(key: string, maxAgeMs: number): StoredExport | undefined {
    if (maxAgeMs <= 0) return undefined;
    const now = this.now();
    return this.list().find((e) => e.requestKey === key && now - e.completedAt <= maxAgeMs);
  }

  /**
   * Stream an export's file into the store and index it. The body is written to a temporary
   * file and renamed into place once whole, so a reader never sees part of one.
   */
  async save(meta: Omit<StoredExport, "bytes" | "storedAt">, content: Readable | Buffer | string, signal?: AbortSignal): Promise<StoredExport> {
    const body = content instanceof Readable ? content : Readable.from([Buffer.from(content)]);
    let bytes = 0;
    const count = (chunk: Buffer): void => void (bytes += chunk.length);
    body.on("data", count);
    if (this.dir) {
      const final = this.filePath(meta.jobId);
      const temp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
      try {
        await pipeline(body, createWriteStream(temp, { mode: 0o600 }), signal ? { signal } : {});
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    } else {
      const chunks: Buffer[] = [];
      await pipeline(body, collectInto(chunks), signal ? { signal } : {});
      this.memoryFiles.set(meta.jobId, Buffer.concat(chunks));
    }
    const entry: StoredExport = { ...meta, bytes, storedAt: this.now(), lastUsedAt: this.now() };
    await this.change((exports) => void exports.set(entry.jobId, entry), entry.jobId);
    return entry;
  }

  /** Drop a stored export (a damaged download). */
  async discard(jobId: string): Promise<void> {
    await this.change((exports) => void exports.delete(jobId));
  }

  /** The stored file's full content. */
  async read(jobId: string): Promise<Buffer> {
    this.touch(jobId);
    if (!this.dir) return this.memoryFiles.get(jobId) ?? Buffer.alloc(0);
    return readFile(this.filePath(jobId));
  }

  /** A stream of the stored file (large files are never read whole). */
  openStream(jobId: string): Readable {
    this.touch(jobId);
    if (!this.dir) return Readable.from([this.memoryFiles.get(jobId) ?? Buffer.alloc(0)]);
    return createReadStream(this.filePath(jobId));
  }

  /** Local path of a stored file, or undefined in memory mode. */
  localPath(jobId: string): string | undefined {
    if (!this.dir || !this.get(jobId)) return undefined;
    this.touch(jobId);
    return this.filePath(jobId);
  }

  async purgeExpired(): Promise<number> {
    let removed = 0;
    await this.change((exports) => {
      const now = this.now();
      for (const entry of [...exports.values()]) if (entry.expiresAt <= now && exports.delete(entry.jobId)) removed += 1;
    });
    return removed;
  }

  /** Bytes of export files held now. */
  totalBytes(): number {
    let total = 0;
    for (const entry of this.exports.values()) total += entry.bytes;
    return total;
  }

  private touch(jobId: string): void {
    const entry = this.exports.get(jobId);
    if (!entry) throw new Error(`Export ${jobId} is not in the store.`);
    entry.lastUsedAt = this.now();
  }

  /**
   * One change to the index: under the lock, re-read it (another process may have written), apply,
   * keep the store under its size cap, write, then remove files no entry points to any more.
   */
  private async change(apply: (exports: Map<string, StoredExport>) => void, keep?: string): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.dir) {
        this.seen = "";
        await this.sync({ underLock: true });
      }
      const before = new Set(this.exports.keys());
      apply(this.exports);
      this.evictOverCap(keep);
      const gone = [...before].filter((id) => !this.exports.has(id));
      const changed = gone.length > 0 || [...this.exports.keys()].some((id) => !before.has(id)) || keep !== undefined;
      if (!changed) return;
      if (this.dir) {
        await writeIndex(this.dir, [...this.exports.values()]);
        this.seen = "";
        for (const jobId of gone) await rm(this.filePath(jobId), { force: true });
      }
      for (const jobId of gone) this.memoryFiles.delete(jobId);
      this.emit();
    };
    await (this.dir ? this.lock.run(run) : run());
  }

  private evictOverCap(keep: string | undefined): void {
    let total = this.totalBytes();
    const byAge = [...this.exports.values()].sort((a, b) => (a.lastUsedAt ?? a.storedAt) - (b.lastUsedAt ?? b.storedAt));
    for (const entry of byAge) {
      if (total <= this.maxBytes) break;
      if (entry.jobId === keep) continue;
      this.exports.delete(entry.jobId);
      total -= entry.bytes;
      this.warn(`store over its ${Math.round(this.maxBytes / 1048576)} MB cap: removed export ${entry.jobId}, least recently used`);
    }
  }

  /**
   * At start (and if the index is found damaged): read the index; a damaged one is moved aside
   * and every file it no longer lists is indexed again from what the file itself shows, so no
   * downloaded export is lost. Leftover partial downloads are removed.
   */
  private async recover(first?: IndexRead): Promise<void> {
    const dir = this.dir!;
    const { entries, damaged } = first ?? (await readIndex(dir));
    this.exports = new Map(entries.map((e) => [e.jobId, e]));
    const files = await readdir(path.join(dir, "files"));
    let reindexed = 0;
    for (const name of files) {
      if (name.endsWith(".part")) {
        await rm(path.join(dir, "files", name), { force: true });
        continue;
      }
      if (!JOB_ID.test(name) || this.exports.has(name)) continue;
      const entry = await this.describeFile(name);
      if (entry) {
        this.exports.set(name, entry);
        reindexed += 1;
      }
    }
    if (damaged) this.warn(`index.json was damaged (${damaged.problem}); its bytes are kept at ${damaged.movedTo}; ${damaged.salvaged} entries salvaged, ${reindexed} files indexed again`);
    if (damaged || reindexed) await writeIndex(dir, [...this.exports.values()]);
    this.seen = "";
    await this.sync({ underLock: true });
    this.emit();
  }

  /** An entry for a file the index lost: its kind from its first bytes, its age from the file. */
  private async describeFile(jobId: string): Promise<StoredExport | undefined> {
    const file = this.filePath(jobId);
    const info = await stat(file);
    const handle = await open(file, "r");
    const head = Buffer.alloc(4096);
    try {
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
    const text = head.toString("utf8");
    const json = /^\s*[[{]/.test(text);
    const kind: ExportKind = /"activities"\s*:/.test(text) ? "activity" : /"actors"\s*:|"eventTimestamp"/.test(text) ? "audit" : "forecast";
    return {
      jobId,
      kind,
      requestKey: `${kind}:job:${jobId}`,
      request: {},
      mimeType: json ? "application/json" : "text/csv",
      bytes: info.size,
      storedAt: info.mtimeMs,
      completedAt: info.mtimeMs,
      expiresAt: info.mtimeMs + EXPORT_LIFETIME_MS,
    };
  }

  private filePath(jobId: string): string {
    // jobIds are validated upstream; the store still refuses anything that is not a plain name.
    if (!JOB_ID.test(jobId)) throw new Error(`Refusing to store an export under the id ${JSON.stringify(jobId)}.`);
    return path.join(this.dir!, "files", jobId);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function collectInto(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
}
