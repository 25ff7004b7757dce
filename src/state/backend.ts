/**
 * Where shared state lives: the store's lock, its index and export files, the journal of jobs in
 * flight, kept observations, task records, export budgets and the audit trail of tool calls. Two implementations: a local folder (the default,
 * `folder.ts`) and Postgres (`--state postgres://...`, `postgres/`). Several processes on one
 * folder, or several replicas on one database, see one state: every read-decide-write is taken
 * under `lock`, which is held for storage work only, never across a call to Clari.
 * Without either (--no-cache, the sandbox) the store, journal and observations keep to memory.
 */
import type { Readable } from "node:stream";
import type { IndexRead, StoredExport } from "./index-file.js";
import type { StoreLock } from "./lock.js";
import type { TaskRecords } from "./task-records.js";

export type { TaskRecord, TaskRecords, TaskStatus } from "./task-records.js";

/** The store's index: what exports are held. */
export interface IndexStorage {
  /** Changes whenever the index was written, by anyone (cheap: sync compares it before reading). */
  version(): Promise<string>;
  /** Schema-checked; a damaged index is moved aside with its bytes and what could be read is salvaged. */
  read(): Promise<IndexRead>;
  /** Atomic: a reader sees the old index or the new one, never part of one. Secrets are scrubbed first. */
  write(entries: StoredExport[]): Promise<void>;
}

/** A file the storage holds, as the index may have lost it. */
export interface HeldFile {
  jobId: string;
  bytes: number;
  /** When it was written (epoch ms). */
  writtenAt: number;
}

/** Export files (tens or hundreds of MB): written and read as streams, never whole in memory. */
export interface FileStorage {
  /**
   * Store the body under jobId once it has all arrived: a reader never sees part of one; a failed
   * or aborted write leaves nothing. The body must be piped at once, before anything is awaited:
   * the caller may already be counting its bytes (a flowing stream). `verify`, when given, runs
   * once every byte is written and before any reader can see the file: if it throws, nothing is
   * kept (a damaged download is never listed, even for the moment before its check).
   */
  write(jobId: string, body: Readable, signal?: AbortSignal, verify?: () => Promise<void>): Promise<void>;
  read(jobId: string): Promise<Buffer>;
  stream(jobId: string): Readable;
  /** A local file with the content (the folder's own file, or a copy materialised from the database). */
  localPath(jobId: string): Promise<string>;
  remove(jobId: string): Promise<void>;
  /** The first bytes of a file (to tell its kind). */
  head(jobId: string, bytes: number): Promise<Buffer>;
  /** The bytes the file holds now (a file cut short on disk holds fewer than were stored). */
  size(jobId: string): Promise<number>;
  /** At start: clear leftover partial writes, then list the files held. */
  recover(): Promise<HeldFile[]>;
  /** Another process removed this file: drop any local copy of it. */
  dropLocal?(jobId: string): Promise<void>;
}

/** What a record that is not JSON reads as (it was set aside; its request had a job in flight). */
export const DAMAGED = Symbol("damaged");

/** The journal's records: one small JSON value per name. */
export interface RecordStorage {
  /** The parsed value, undefined when there is none, DAMAGED when its bytes were not JSON (they are then set aside). */
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

export type ObservationKind = "audit" | "opportunities" | "forecast";

export interface Observed<T> {
  /** When it was read from Clari (epoch ms). */
  fetchedAt: number;
  data: T;
}

/** Audit pages, opportunity lookups and forecast reads made without an export, bounded in count and age. */
export interface ObservationStorage {
  /** Add one (already scrubbed), then drop all but the newest `maxPerKind` and those older than `maxAgeMs`. */
  append(kind: ObservationKind, observed: Observed<unknown>, bounds: { maxPerKind: number; maxAgeMs: number }): Promise<void>;
  /** Oldest first; a damaged one is passed over. */
  list(kind: ObservationKind): Promise<Observed<unknown>[]>;
}

/** One unit of a caller's export budget, to be spent in the period `window` (a key every replica computes alike). */
export interface BudgetSpend {
  holder: string;
  window: string;
  /** When the period ends (epoch ms): its count may go after that. */
  windowEnd: number;
  /** Units the holder may spend in the period. */
  limit: number;
}

/** Export budgets: units spent per holder and period, shared by every process on the state. */
export interface BudgetStorage {
  /**
   * Spend one unit unless `limit` are spent already and, only then, write the journal record
   * `record` (the request's intent) with it: in one transaction on Postgres, in one critical section
   * under the store's lock on a folder (the caller holds it). Returns the units now spent in the
   * period, or undefined when the budget was spent (nothing written). On an error nothing is spent.
   */
  spendAndRecord(spend: BudgetSpend, record: { name: string; value: unknown }): Promise<number | undefined>;
  /** Give a unit back (it is confirmed that nothing was queued); under the store's lock on a folder. */
  giveBack(holder: string, window: string): Promise<void>;
  spent(holder: string, window: string): Promise<number>;
  /** Counts of periods that ended before `before` (epoch ms) go. */
  purge(before: number): Promise<void>;
}

/** One tool call, as the audit trail keeps it. */
export interface AuditRow {
  /** Unique and time-ordered: 9 base-36 digits of the time in ms, then 10 hex digits. */
  id: string;
  at: number;
  /** The caller id: a static token's name, `<sub>@<issuer>`, or "" for stdio's one user. */
  caller: string;
  /** The person's email or name, when their token carries one. */
  callerName?: string | undefined;
  tool: string;
  /** The arguments as JSON, secrets removed, cut to a few KB. */
  args: string;
  outcome: "ok" | "error";
  /** The error's first line. */
  error?: string | undefined;
  /** Exports this call queued: units of the org's monthly quota and of the caller's budget. */
  quotaSpent: number;
  ms: number;
}

/** The audit trail of tool calls: appended once per call, read newest first, kept for --audit-days. */
export interface AuditStorage {
  append(row: AuditRow): Promise<void>;
  /** Newest first: rows with an id below `before`, of one caller when given, at most `limit`. */
  list(options: { caller?: string | undefined; before?: string | undefined; limit: number }): Promise<AuditRow[]>;
  /** Rows made before `before` (epoch ms) go (a folder drops whole days). */
  purge(before: number): Promise<void>;
}

export interface StateBackend {
  /** "folder <path>" or the database URL with its password hidden: safe for logs. */
  readonly description: string;
  readonly lock: StoreLock;
  readonly index: IndexStorage;
  readonly files: FileStorage;
  readonly journal: RecordStorage;
  readonly observations: ObservationStorage;
  readonly tasks: TaskRecords;
  readonly budgets: BudgetStorage;
  readonly audit: AuditStorage;
  close(): Promise<void>;
}
