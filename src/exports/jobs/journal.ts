/**
 * The journal of export jobs in flight: one small record per request, written before the POST
 * that queues it (an intent), then holding the jobId until the job's end is confirmed. It is
 * what makes "never queue twice, never lose a jobId" hold across processes and restarts, so it
 * lives apart from index.json (one file per record under journal/): a damaged index never takes
 * a jobId with it. Every read-decide-write happens under the store's lock (see obtain.ts).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { z } from "zod";
import { redactDeep } from "../../client/redact.js";
import { exportKinds } from "../store/index-file.js";
import type { StoreLock } from "../store/lock.js";

const ownerSchema = z.object({ token: z.string(), pid: z.number(), host: z.string() });
export type Owner = z.output<typeof ownerSchema>;

const recordSchema = z.object({
  requestKey: z.string(),
  kind: z.enum(exportKinds),
  request: z.record(z.string(), z.unknown()),
  /** intent: the POST is being sent (or was, with no answer); queued: Clari gave the jobId. */
  state: z.enum(["intent", "queued"]),
  intentAt: z.number(),
  owner: ownerSchema,
  /** The POST ended without an answer (timeout, reset, 5xx): Clari may or may not have the job. */
  unconfirmed: z.boolean().optional(),
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  queuedAt: z.number().optional(),
  /** Callers waiting on the job, per process: it is cancelled only when none is left. */
  waiters: z.record(z.string(), ownerSchema.extend({ count: z.number().int() })).optional(),
});
export type JournalRecord = z.output<typeof recordSchema>;

/** This process, as it appears in records it writes. */
export const SELF: Owner = { token: randomUUID(), pid: process.pid, host: hostname() };

/** Whether the process that wrote a record still runs (unknown on another host: trust time there). */
export function isAlive(owner: Owner): boolean | undefined {
  if (owner.token === SELF.token) return true;
  if (owner.host !== SELF.host) return undefined;
  if (owner.pid === SELF.pid) return false; // our pid, another token: an earlier life of this process id
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Callers of live processes still waiting on the record's job. */
export function liveWaiters(record: JournalRecord): number {
  let count = 0;
  for (const waiter of Object.values(record.waiters ?? {})) if (waiter.count > 0 && isAlive(waiter) !== false) count += waiter.count;
  return count;
}

interface RecordFiles {
  read(name: string): Promise<unknown>;
  write(name: string, value: unknown): Promise<void>;
  remove(name: string): Promise<void>;
  names(): Promise<string[]>;
  /** Keep a damaged record's bytes aside; it still says that this request had a job in flight. */
  setAside(name: string): Promise<void>;
  /** When the oldest record set aside for this name was last written (epoch ms), if any. */
  setAsideAt(name: string): Promise<number | undefined>;
  /** Those records have been dealt with. */
  settleSetAside(name: string): Promise<void>;
}

export class Journal {
  private constructor(
    private readonly files: RecordFiles,
    /** Held by the caller around every read-decide-write. */
    readonly lock: StoreLock,
    private readonly warn: (message: string) => void,
  ) {}

  static open(dir: string | undefined, lock: StoreLock, warn: (message: string) => void): Journal {
    return new Journal(dir ? folderRecords(path.join(dir, "journal")) : memoryRecords(), lock, warn);
  }

  /** The record for a request key, if any (call under the lock). */
  async get(requestKey: string): Promise<JournalRecord | undefined> {
    const name = nameOf(requestKey);
    const value = await this.files.read(name);
    if (value === DAMAGED) this.warn(`journal record ${name} was unreadable and was set aside; its job is looked for on Clari's job list`);
    return this.parse(name, value);
  }

  /** Writes a record; a failing disk is retried before the error reaches the caller. */
  async put(record: JournalRecord): Promise<void> {
    // Nothing reaches the disk before secrets are scrubbed (a key echoed in a job title, say).
    const clean = redactDeep(record);
    await retry(() => this.files.write(nameOf(record.requestKey), clean));
  }

  async remove(requestKey: string): Promise<void> {
    await retry(() => this.files.remove(nameOf(requestKey)));
  }

  async all(): Promise<JournalRecord[]> {
    const records: JournalRecord[] = [];
    for (const name of await this.files.names()) {
      const record = this.parse(name, await this.files.read(name));
      if (record) records.push(record);
    }
    return records;
  }

  async findJob(jobId: string): Promise<JournalRecord | undefined> {
    return (await this.all()).find((r) => r.jobId === jobId);
  }

  /**
   * A damaged record of this request was set aside (its jobId unreadable): when it was last
   * written. The caller then looks for the job on Clari's list instead of queuing blindly.
   */
  async damagedAt(requestKey: string): Promise<number | undefined> {
    return this.files.setAsideAt(nameOf(requestKey));
  }

  async settleDamaged(requestKey: string): Promise<void> {
    await this.files.settleSetAside(nameOf(requestKey));
  }

  private parse(name: string, value: unknown): JournalRecord | undefined {
    if (value === undefined || value === DAMAGED) return undefined;
    const parsed = recordSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.warn(`journal record ${name} is damaged and was set aside: ${parsed.error.issues[0]?.message ?? "wrong shape"}`);
    void this.files.setAside(name).catch(() => undefined);
    return undefined;
  }
}

/** What a record file that is not JSON reads as. */
const DAMAGED = Symbol("damaged");

function nameOf(requestKey: string): string {
  return createHash("sha256").update(requestKey).digest("hex").slice(0, 32);
}

async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 4 ** (attempt - 1)));
    }
  }
}

/** No such record: the file, or its folder, is not there. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function memoryRecords(): RecordFiles {
  const records = new Map<string, string>();
  return {
    read: async (name) => (records.has(name) ? JSON.parse(records.get(name)!) : undefined),
    write: async (name, value) => void records.set(name, JSON.stringify(value)),
    remove: async (name) => void records.delete(name),
    names: async () => [...records.keys()],
    setAside: async (name) => void records.delete(name),
    setAsideAt: async () => undefined,
    settleSetAside: async () => undefined,
  };
}

function folderRecords(dir: string): RecordFiles {
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
    async write(name, value) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = `${file(name)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
        await rename(temp, file(name));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
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
