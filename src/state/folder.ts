/**
 * The default state backend: one local folder per credential (0700, files 0600), shared by every
 * process that opens it. `index.json` (atomic renames), `files/<jobId>`, `journal/<hash>.json`,
 * `seen/` (observations), `tasks/<taskId>.json`, `budgets/spent.json` (export budgets),
 * `audit/<day>.jsonl` (the audit trail), and the folder lock (proper-lockfile).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { INDEX_FILE, readIndex, writeIndex } from "./index-file.js";
import { folderLock, type StoreLock } from "./lock.js";
import { DAMAGED, type FileStorage, type HeldFile, type IndexStorage, type ObservationKind, type ObservationStorage, type Observed, type RecordStorage, type StateBackend } from "./backend.js";
import { folderTasks } from "./task-records.js";
import { countedBudgets } from "./budget-counts.js";
import { folderAudit } from "./audit-trail.js";

export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The longest a closing folder backend waits for its lock to be let go. */
const CLOSE_WAIT_MS = 2000;

/** Opens (creating) a store folder and everything in it. */
export async function openFolderBackend(dir: string, warn: (message: string) => void): Promise<StateBackend> {
  await mkdir(path.join(dir, "files"), { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await chmod(path.join(dir, "files"), 0o700);
  const lock = folderLock(dir, (error) => warn(`store lock lost: ${error.message}`));
  return folderBackendOn(dir, lock);
}

export function folderBackendOn(dir: string, lock: StoreLock): StateBackend {
  const journal = folderRecords(path.join(dir, "journal"));
  return {
    description: `folder ${dir}`,
    lock,
    index: folderIndex(dir),
    files: folderFiles(path.join(dir, "files")),
    journal,
    observations: folderObservations(path.join(dir, "seen")),
    tasks: folderTasks(path.join(dir, "tasks"), lock),
    budgets: countedBudgets(folderRecords(path.join(dir, "budgets")), journal),
    audit: folderAudit(path.join(dir, "audit")),
    // A process that exits while taking the lock leaves its folder behind, and the next start
    // waits for it to go stale (5 s): closing waits until the lock is let go (at most 2 s).
    close: () => Promise.race([lock.idle(), delay(CLOSE_WAIT_MS, undefined, { ref: false })]),
  };
}

export function folderIndex(dir: string): IndexStorage {
  return {
    async version() {
      const info = await stat(path.join(dir, INDEX_FILE)).catch(() => undefined);
      return info ? `${info.mtimeMs}:${info.size}:${info.ino}` : "";
    },
    read: () => readIndex(dir),
    write: (entries) => writeIndex(dir, entries),
  };
}

export function folderFiles(dir: string): FileStorage {
  const file = (jobId: string): string => {
    // jobIds are validated upstream; the store still refuses anything that is not a plain name.
    if (!JOB_ID.test(jobId)) throw new Error(`Refusing to store an export under the id ${JSON.stringify(jobId)}.`);
    return path.join(dir, jobId);
  };
  return {
    async write(jobId, body, signal, verify) {
      const final = file(jobId);
      const temp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
      try {
        await pipeline(body, createWriteStream(temp, { mode: 0o600 }), signal ? { signal } : {});
        await verify?.();
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    read: (jobId) => readFile(file(jobId)),
    stream: (jobId) => createReadStream(file(jobId)),
    localPath: async (jobId) => file(jobId),
    size: async (jobId) => (await stat(file(jobId))).size,
    remove: (jobId) => rm(file(jobId), { force: true }),
    async head(jobId, bytes) {
      const handle = await open(file(jobId), "r");
      try {
        const head = Buffer.alloc(bytes);
        const { bytesRead } = await handle.read(head, 0, bytes, 0);
        return head.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async recover() {
      const held: HeldFile[] = [];
      for (const name of await readdir(dir)) {
        if (name.endsWith(".part")) {
          await rm(path.join(dir, name), { force: true });
          continue;
        }
        if (!JOB_ID.test(name)) continue;
        const info = await stat(path.join(dir, name));
        held.push({ jobId: name, bytes: info.size, writtenAt: info.mtimeMs });
      }
      return held;
    },
  };
}

/** fsync a folder, so that a rename in it survives a power cut (best effort: some systems cannot open a folder). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** No such record: the file, or its folder, is not there. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export function folderRecords(dir: string): RecordStorage {
  const file = (name: string): string => path.join(dir, `${name}.json`);
  return {
    async read(name) {
      let text: string;
      try {
        text = await readFile(file(name), "utf8");
      } catch (error) {
        if (isAbsent(error)) return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        await rename(file(name), `${file(name)}.bad-${Date.now()}`).catch(() => undefined);
        return DAMAGED;
      }
    },
    // Kept, not deleted: its bytes may still name a jobId a person can recover by hand.
    setAside: (name) => rename(file(name), `${file(name)}.bad-${Date.now()}`).catch(() => undefined),
    async setAsideAt(name) {
      const aside = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(`${name}.json.bad-`));
      const times = await Promise.all(aside.map(async (f) => (await stat(path.join(dir, f))).mtimeMs));
      return times.length ? Math.min(...times) : undefined;
    },
    async settleSetAside(name) {
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (f.startsWith(`${name}.json.bad-`)) await rename(path.join(dir, f), path.join(dir, f.replace(".bad-", ".settled-"))).catch(() => undefined);
      }
    },
    // Durable before it returns (the file's bytes, then its name): an intent must outlive a crash mid-POST.
    async write(name, value) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = `${file(name)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(value), { mode: 0o600, flush: true });
        await rename(temp, file(name));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      await syncFolder(dir);
    },
    remove: (name) => rm(file(name), { force: true }),
    async names() {
      try {
        return (await readdir(dir)).filter((f) => /^[0-9a-f]{32}\.json$/.test(f)).map((f) => f.slice(0, -5));
      } catch (error) {
        if (isAbsent(error)) return [];
        throw error;
      }
    },
  };
}

export function folderObservations(dir: string): ObservationStorage {
  const names = async (kind: ObservationKind): Promise<string[]> => {
    const all = await readdir(dir).catch(() => [] as string[]);
    return all.filter((n) => n.startsWith(`${kind}-`) && n.endsWith(".json")).sort();
  };
  return {
    async append(kind, observed, { maxPerKind, maxAgeMs }) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = `${kind}-${String(observed.fetchedAt).padStart(15, "0")}-${randomBytes(4).toString("hex")}.json`;
      const temp = path.join(dir, `${name}.tmp`);
      await writeFile(temp, JSON.stringify(observed), { mode: 0o600 });
      await rename(temp, path.join(dir, name));
      const all = await names(kind);
      const cutoff = Date.now() - maxAgeMs;
      const old = all.filter((n, i) => i < all.length - maxPerKind || Number(n.split("-")[1]) < cutoff);
      for (const n of old) await rm(path.join(dir, n), { force: true });
    },
    async list(kind) {
      const out: Observed<unknown>[] = [];
      for (const name of await names(kind)) {
        try {
          out.push(JSON.parse(await readFile(path.join(dir, name), "utf8")) as Observed<unknown>);
        } catch {
          /* damaged or gone meanwhile: nothing to ask of it */
        }
      }
      return out;
    },
  };
}
