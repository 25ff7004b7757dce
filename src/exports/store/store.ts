/**
 * The export store: each DONE export's file is downloaded once into the state backend (a local
 * folder, 0700, files 0600, or a Postgres database, see src/state/) with an index of what was
 * asked, so resources and queries need no second download, an identical question inside the
 * freshness window spends no quota, and a restart loses nothing. Several processes may share the
 * folder (or replicas the database): every change is made under the backend's lock after
 * re-reading the index, and every decision re-reads it first (sync). The store is bounded: over
 * its size cap the least recently used exports go first. Without a backend (--no-cache, the
 * sandbox) the same API keeps files in memory, within the same cap.
 */
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { StateBackend } from "../../state/backend.js";
import { openFolderBackend } from "../../state/folder.js";
import type { ExportKind, IndexRead, StoredExport } from "../../state/index-file.js";
import { processLock, type StoreLock } from "../../state/lock.js";

export type { ExportKind, StoredExport } from "../../state/index-file.js";

export const EXPORT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
export const DEFAULT_STORE_BYTES = 2048 * 1024 * 1024;

export interface StoreOptions {
  /** Most bytes of export files kept; the least recently used go first. */
  maxBytes?: number;
  warn?: (message: string) => void;
  now?: () => number;
}

export class ExportStore {
  private exports = new Map<string, StoredExport>();
  /** Changes this process made, and those under way: an unlocked sync that read before one must not undo it. */
  private changes = 0;
  private changing = 0;
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
    readonly backend: StateBackend | undefined,
    options: StoreOptions,
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_STORE_BYTES;
    this.warn = options.warn ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.lock = backend ? backend.lock : processLock();
  }

  /** A store in this folder (created if need be), or in memory when dir is undefined. */
  static async open(dir: string | undefined, options: StoreOptions = {}): Promise<ExportStore> {
    return ExportStore.on(dir ? await openFolderBackend(dir, options.warn ?? (() => undefined)) : undefined, options);
  }

  /** A store on a state backend (a folder or a database), or in memory when it is undefined. */
  static async on(backend: StateBackend | undefined, options: StoreOptions = {}): Promise<ExportStore> {
    const store = new ExportStore(backend, options);
    if (backend) {
      await store.lock.run(() => store.recover());
      await store.purgeExpired();
    }
    return store;
  }

  get persistent(): boolean {
    return this.backend !== undefined;
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
    const backend = this.backend;
    if (!backend) return;
    // A change of this process under way, or made while this read was, is newer than the read:
    // the change leaves the map as it wrote it.
    const stale = (): boolean => !underLock && (this.changing > 0 || this.changes !== changesBefore);
    const changesBefore = this.changes;
    if (stale()) return;
    const seen = await backend.index.version();
    if (seen === this.seen) return;
    const read = await backend.index.read();
    if (stale()) return;
    if (read.damaged) {
      // Damaged after start: repair as at start.
      await (underLock ? this.recover(read) : this.lock.run(() => this.recover(read)));
      return;
    }
    const { entries } = read;
    const before = this.exports;
    this.exports = new Map(entries.map((e) => [e.jobId, { ...e, lastUsedAt: Math.max(e.lastUsedAt ?? 0, before.get(e.jobId)?.lastUsedAt ?? 0) || undefined }]));
    this.seen = seen;
    const gone = [...before.keys()].filter((id) => !this.exports.has(id));
    // Another process removed these: a local copy of a database's file goes with them.
    if (backend.files.dropLocal) for (const jobId of gone) await backend.files.dropLocal(jobId).catch(() => undefined);
    if (before.size !== this.exports.size || gone.length > 0) this.emit();
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
   * Stream an export's file into the store and index it. The body is stored whole before it is
   * published (a temporary file renamed into place, or chunks made visible in one transaction),
   * so a reader never sees part of one. `verify` runs once every byte is written and before it is
   * published: if it throws, nothing is kept or listed (a damaged download, found by its parse).
   */
  async save(meta: Omit<StoredExport, "bytes" | "storedAt">, content: Readable | Buffer | string, signal?: AbortSignal, verify?: () => Promise<void>): Promise<StoredExport> {
    const body = content instanceof Readable ? content : Readable.from([Buffer.from(content)]);
    let bytes = 0;
    const count = (chunk: Buffer): void => void (bytes += chunk.length);
    body.on("data", count);
    if (this.backend) {
      await this.backend.files.write(meta.jobId, body, signal, verify);
    } else {
      const chunks: Buffer[] = [];
      await pipeline(body, collectInto(chunks), signal ? { signal } : {});
      await verify?.();
      this.memoryFiles.set(meta.jobId, Buffer.concat(chunks));
    }
    const entry: StoredExport = { ...meta, bytes, storedAt: this.now(), lastUsedAt: this.now() };
    await this.change((exports) => void exports.set(entry.jobId, entry), entry.jobId);
    return entry;
  }

  /** Whether the stored file still holds every byte it was stored with (a disk may cut one short, or lose it). */
  async isWhole(entry: StoredExport): Promise<boolean> {
    if (!this.backend) return (this.memoryFiles.get(entry.jobId)?.length ?? -1) === entry.bytes;
    return (await this.backend.files.size(entry.jobId).catch(() => -1)) === entry.bytes;
  }

  /** Drop a stored export (a damaged download). */
  async discard(jobId: string): Promise<void> {
    await this.change((exports) => void exports.delete(jobId));
  }

  /** The stored file's full content. */
  async read(jobId: string): Promise<Buffer> {
    this.touch(jobId);
    if (!this.backend) return this.memoryFiles.get(jobId) ?? Buffer.alloc(0);
    return this.backend.files.read(jobId);
  }

  /** A stream of the stored file (large files are never read whole). */
  openStream(jobId: string): Readable {
    this.touch(jobId);
    if (!this.backend) return Readable.from([this.memoryFiles.get(jobId) ?? Buffer.alloc(0)]);
    return this.backend.files.stream(jobId);
  }

  /**
   * A local file with a stored export's content, or undefined in memory mode: the folder's own
   * file, or (Postgres) a copy materialised from the database into a private temporary folder.
   */
  async localPath(jobId: string): Promise<string | undefined> {
    if (!this.backend || !this.get(jobId)) return undefined;
    this.touch(jobId);
    return this.backend.files.localPath(jobId);
  }

  async purgeExpired(): Promise<number> {
    let removed = 0;
    await this.change((exports) => {
      const now = this.now();
      for (const entry of [...exports.values()]) if (entry.expiresAt <= now && exports.delete(entry.jobId)) removed += 1;
    });
    return removed;
  }

  /** Bytes of export files held now (or listed in `exports`). */
  totalBytes(exports: ReadonlyMap<string, StoredExport> = this.exports): number {
    let total = 0;
    for (const entry of exports.values()) total += entry.bytes;
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
    const backend = this.backend;
    const run = async (): Promise<void> => {
      if (backend) {
        this.seen = "";
        await this.sync({ underLock: true });
      }
      // Changed on a copy, taken in once the index is written: a refused write (a full disk)
      // leaves this process seeing what the index on disk says, as every other process does.
      const next = new Map(this.exports);
      apply(next);
      this.evictOverCap(next, keep);
      const gone = [...this.exports.keys()].filter((id) => !next.has(id));
      const changed = gone.length > 0 || [...next.keys()].some((id) => !this.exports.has(id)) || keep !== undefined;
      if (!changed) return;
      if (backend) await backend.index.write([...next.values()]);
      this.exports = next;
      if (backend) {
        this.seen = "";
        for (const jobId of gone) await backend.files.remove(jobId);
      }
      for (const jobId of gone) this.memoryFiles.delete(jobId);
      this.emit();
    };
    const counted = async (): Promise<void> => {
      this.changing += 1;
      try {
        await run();
      } finally {
        this.changing -= 1;
        this.changes += 1;
      }
    };
    await (backend ? this.lock.run(counted) : counted());
  }

  private evictOverCap(exports: Map<string, StoredExport>, keep: string | undefined): void {
    let total = this.totalBytes(exports);
    const byAge = [...exports.values()].sort((a, b) => (a.lastUsedAt ?? a.storedAt) - (b.lastUsedAt ?? b.storedAt));
    for (const entry of byAge) {
      if (total <= this.maxBytes) break;
      if (entry.jobId === keep) continue;
      exports.delete(entry.jobId);
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
    const backend = this.backend!;
    const { entries, damaged } = first ?? (await backend.index.read());
    this.exports = new Map(entries.map((e) => [e.jobId, e]));
    let reindexed = 0;
    for (const held of await backend.files.recover()) {
      if (this.exports.has(held.jobId)) continue;
      const entry = await this.describeFile(held.jobId, held.bytes, held.writtenAt);
      if (entry) {
        this.exports.set(held.jobId, entry);
        reindexed += 1;
      }
    }
    if (damaged) this.warn(`the store's index was damaged (${damaged.problem}); its bytes are kept at ${damaged.movedTo}; ${damaged.salvaged} entries salvaged, ${reindexed} files indexed again`);
    if (damaged || reindexed) await backend.index.write([...this.exports.values()]);
    this.seen = "";
    await this.sync({ underLock: true });
    this.emit();
  }

  /** An entry for a file the index lost: its kind from its first bytes, its age from the file. */
  private async describeFile(jobId: string, bytes: number, writtenAt: number): Promise<StoredExport | undefined> {
    const text = (await this.backend!.files.head(jobId, 4096)).toString("utf8");
    const json = /^\s*[[{]/.test(text);
    const kind: ExportKind = /"activities"\s*:/.test(text) ? "activity" : /"actors"\s*:|"eventTimestamp"/.test(text) ? "audit" : "forecast";
    return {
      jobId,
      kind,
      requestKey: `${kind}:job:${jobId}`,
      request: {},
      mimeType: json ? "application/json" : "text/csv",
      bytes,
      storedAt: writtenAt,
      completedAt: writtenAt,
      expiresAt: writtenAt + EXPORT_LIFETIME_MS,
    };
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
