/**
 * The journal of export jobs in flight: one small record per request, written before the POST
 * that queues it (an intent), then holding the jobId until the job's end is confirmed. It is
 * what makes "never queue twice, never lose a jobId" hold across processes and restarts, so it
 * lives apart from index.json (one file per record under journal/, or one row per record in the
 * state database): a damaged index never takes a jobId with it. Every read-decide-write happens under the store's lock (see obtain.ts).
 */
import { createHash, randomUUID } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import pRetry from "p-retry";
import { z } from "zod";
import { redactDeep } from "../../security/redact-deep.js";
import { exportKinds } from "../../state/index-file.js";
import type { StoreLock } from "../../state/lock.js";
import { DAMAGED, type BudgetSpend, type BudgetStorage, type RecordStorage } from "../../state/backend.js";
import { countedBudgets } from "../../state/budget-counts.js";
import { folderRecords } from "../../state/folder.js";

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
  /** Whose export budget paid for the POST, and in which period: given back if nothing was queued. */
  budget: z.object({ holder: z.string(), window: z.string() }).optional(),
  /**
   * Who queued it: a named token or signed-in person ("" for stdio's one user). Only they cancel
   * the job by abandoning a call or a task; a caller who joined it only stops waiting.
   */
  queuedBy: z.string().optional(),
});
export type JournalRecord = z.output<typeof recordSchema>;

/**
 * The caller queued the job of `record` (records from before `queuedBy` was kept: only stdio's
 * one user, the only caller there is, counts as having queued them).
 */
export function queuedByCaller(record: JournalRecord | undefined, caller: string): boolean {
  return record?.queuedBy !== undefined ? record.queuedBy === caller : caller === "";
}

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

export class Journal {
  private constructor(
    private readonly files: RecordStorage,
    /** Held by the caller around every read-decide-write. */
    readonly lock: StoreLock,
    private readonly warn: (message: string) => void,
    /** Export budgets, spent with the intent they pay for. */
    private readonly budgets: BudgetStorage,
  ) {}

  static open(dir: string | undefined, lock: StoreLock, warn: (message: string) => void): Journal {
    const records = dir ? folderRecords(path.join(dir, "journal")) : memoryRecords();
    return new Journal(records, lock, warn, countedBudgets(dir ? folderRecords(path.join(dir, "budgets")) : memoryRecords(), records));
  }

  /** A journal on a state backend's records and budgets (a folder's or a database's). */
  static on(records: RecordStorage, lock: StoreLock, warn: (message: string) => void, budgets: BudgetStorage): Journal {
    return new Journal(records, lock, warn, budgets);
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

  /**
   * Writes an intent and spends a unit of a budget for it, together (one transaction, or one
   * critical section under the lock): returns the units now spent in the period, or undefined when
   * the budget was spent already and nothing was written. A failed attempt spends nothing and is retried.
   */
  async putSpending(record: JournalRecord, spend: BudgetSpend): Promise<number | undefined> {
    const clean = redactDeep(record);
    return retry(() => this.budgets.spendAndRecord(spend, { name: nameOf(record.requestKey), value: clean }));
  }

  /** A unit given back: the request it paid for is confirmed to have queued nothing (call under the lock). */
  async giveBack(budget: NonNullable<JournalRecord["budget"]>): Promise<void> {
    await retry(() => this.budgets.giveBack(budget.holder, budget.window));
  }

  async budgetSpent(holder: string, window: string): Promise<number> {
    return this.budgets.spent(holder, window);
  }

  /** Counts of budget periods that ended before `before` go (call under the lock). */
  async purgeBudgets(before: number): Promise<void> {
    await this.budgets.purge(before);
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

function nameOf(requestKey: string): string {
  return createHash("sha256").update(requestKey).digest("hex").slice(0, 32);
}

/** A refused write is tried twice more, 50 ms then 200 ms later, before its error reaches the caller. */
function retry<T>(fn: () => Promise<T>): Promise<T> {
  return pRetry(fn, { retries: 2, minTimeout: 50, factor: 4 });
}

function memoryRecords(): RecordStorage {
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
