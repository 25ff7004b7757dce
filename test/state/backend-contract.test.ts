/**
 * The state backend contract, run against both backends: a local folder and a real Postgres
 * (started for this file by test/helpers/postgres.ts). Two backend objects on the same place
 * stand for two processes (or replicas): they must see one index, one journal, one set of files
 * and task records, and never hold the lock at the same time.
 */
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerSecret, resetSecrets } from "../../src/security/redact.js";
import { ExportStore } from "../../src/exports/store/store.js";
import { DAMAGED, type StateBackend } from "../../src/state/backend.js";
import { openFolderBackend } from "../../src/state/folder.js";
import { StateDatabaseError } from "../../src/state/postgres/db.js";
import { openPostgresBackend } from "../../src/state/postgres/open.js";
import { SCHEMA_VERSION } from "../../src/state/postgres/schema.js";
import { TaskExistsError } from "../../src/state/task-records.js";
import { auditId } from "../../src/state/audit-trail.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { tempDir } from "../helpers/harness.js";

const run = promisify(execFile);
let cluster: PostgresCluster;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await cluster?.stop();
});

interface Place {
  /** What test/state/lock-worker.mjs is given to open this place: kind, where, scope. */
  worker: [string, string, string];
  /** Another backend on the same place (another process). */
  open(): Promise<StateBackend>;
  /** Overwrite the index with these bytes, as a crash or another program might. */
  damageIndex(text: string): Promise<void>;
  /** Overwrite a journal record with these bytes. */
  damageRecord(name: string, text: string): Promise<void>;
}

const warnings: string[] = [];
const warn = (message: string): void => void warnings.push(message);

const kinds: Record<string, () => Promise<Place>> = {
  async folder() {
    const folder = await tempDir();
    cleanups.push(folder.remove);
    const dir = path.join(folder.dir, "store");
    return {
      worker: ["folder", dir, ""],
      async open() {
        const backend = await openFolderBackend(dir, warn);
        cleanups.push(() => backend.close());
        return backend;
      },
      damageIndex: (text) => writeFile(path.join(dir, "index.json"), text),
      damageRecord: (name, text) => writeFile(path.join(dir, "journal", `${name}.json`), text),
    };
  },
  async postgres() {
    const url = await cluster.createDatabase();
    const scope = `scope-${randomBytes(4).toString("hex")}`;
    const sql = async (text: string, values: unknown[]): Promise<void> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(text, values);
      } finally {
        await client.end();
      }
    };
    return {
      worker: ["postgres", url, scope],
      async open() {
        const backend = await openPostgresBackend({ url, scope, warn });
        cleanups.push(() => backend.close());
        return backend;
      },
      damageIndex: (text) => sql("UPDATE clari_mcp_index SET body = $2, version = nextval('clari_mcp_index_version') WHERE scope = $1", [scope, text]),
      damageRecord: (name, text) => sql("UPDATE clari_mcp_journal SET body = $3 WHERE scope = $1 AND name = $2", [scope, name, text]),
    };
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const JOB = "aaaaaaaaaaaaaaaaaaaaaaaa";
const entry = (jobId: string, bytes = 10) => ({ jobId, kind: "forecast" as const, requestKey: `forecast:${jobId}`, request: {}, mimeType: "application/json" as const, bytes, storedAt: 1, completedAt: 1, expiresAt: Date.now() + 86_400_000 });

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body that arrives in small pieces, as a download does. */
function pieces(content: Buffer, size = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < content.length; i += size) parts.push(content.subarray(i, i + size));
  return Readable.from(parts);
}

for (const [kind, makePlace] of Object.entries(kinds)) {
  describe(`the ${kind} backend`, () => {
    it("keeps one index for every process, versioned on each write", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      expect((await a.index.read()).entries).toEqual([]);
      const before = await b.index.version();
      await a.index.write([entry(JOB)]);
      const after = await b.index.version();
      expect(after).not.toBe(before);
      expect((await b.index.read()).entries.map((e) => e.jobId)).toEqual([JOB]);
      await a.index.write([entry(JOB), entry("bbbbbbbbbbbbbbbbbbbbbbbb")]);
      expect(await b.index.version()).not.toBe(after);
    });

    it("moves a damaged index aside and salvages its whole entries", async () => {
      const place = await makePlace();
      const a = await place.open();
      await a.index.write([entry(JOB), entry("bbbbbbbbbbbbbbbbbbbbbbbb")]);
      await place.damageIndex(`{"version":2,"exports":[${JSON.stringify(entry(JOB))},{"jobId":"cut`);
      const read = await a.index.read();
      expect(read.entries.map((e) => e.jobId)).toEqual([JOB]);
      expect(read.damaged?.problem).toMatch(/unreadable JSON/);
      expect(read.damaged?.movedTo).toBeTruthy();
      expect((await a.index.read()).entries).toEqual([]); // it was moved, not left in place
    });

    it("never lets two processes hold the lock at once, and frees it after a failure", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      let holders = 0;
      let most = 0;
      const work = async (): Promise<void> => {
        holders += 1;
        most = Math.max(most, holders);
        await sleep(3);
        holders -= 1;
      };
      await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).lock.run(work)));
      expect(most).toBe(1);
      await expect(a.lock.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await b.lock.run(async () => "free")).toBe("free");
    });

    it("is held by one process at a time: three processes incrementing one record under it lose no update", async () => {
      const place = await makePlace();
      const a = await place.open(); // the place exists (schema, folder) before the workers start
      const worker = fileURLToPath(new URL("./lock-worker.mjs", import.meta.url));
      await Promise.all([1, 2, 3].map(() => run(process.execPath, [worker, ...place.worker, "30"], { timeout: 60_000 })));
      expect(await a.journal.read("0123456789abcdef0123456789abcdef")).toEqual({ n: 90 });
    }, 90_000);

    it("stores files whole, streams them back, and gives a local path", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const content = randomBytes(3 * 1024 * 1024 + 12345);
      await a.files.write(JOB, pieces(content));
      expect((await b.files.read(JOB)).equals(content)).toBe(true);
      expect((await collect(b.files.stream(JOB))).equals(content)).toBe(true);
      expect((await readFile(await b.files.localPath(JOB))).equals(content)).toBe(true);
      expect((await b.files.head(JOB, 16)).equals(content.subarray(0, 16))).toBe(true);
      expect(await b.files.size(JOB)).toBe(content.length);
      expect(await b.files.recover()).toEqual([expect.objectContaining({ jobId: JOB, bytes: content.length })]);

      const replaced = Buffer.from('{"entries":[]}');
      await b.files.write(JOB, pieces(replaced));
      expect((await a.files.read(JOB)).equals(replaced)).toBe(true);
      expect((await readFile(await a.files.localPath(JOB))).equals(replaced)).toBe(true);

      await a.files.remove(JOB);
      await expect(b.files.read(JOB)).rejects.toThrow();
      expect(await b.files.recover()).toEqual([]);
    });

    it("leaves nothing of a write that failed or was aborted", async () => {
      const place = await makePlace();
      const a = await place.open();
      const failing = new Readable({ read() {} });
      failing.push(randomBytes(2 * 1024 * 1024));
      setTimeout(() => failing.destroy(new Error("connection reset")), 20);
      await expect(a.files.write(JOB, failing)).rejects.toThrow(/reset/);
      const controller = new AbortController();
      const endless = new Readable({
        read() {
          this.push(randomBytes(256 * 1024));
        },
      });
      setTimeout(() => controller.abort(new Error("every caller cancelled")), 50);
      await expect(a.files.write("bbbbbbbbbbbbbbbbbbbbbbbb", endless, controller.signal)).rejects.toThrow();
      expect(await a.files.recover()).toEqual([]);
      await expect(a.files.read(JOB)).rejects.toThrow();
    });

    it("refuses a file name that is not a job id", async () => {
      const a = await (await makePlace()).open();
      await expect(a.files.write("../escape", Readable.from([Buffer.from("x")]))).rejects.toThrow(/Refusing/);
    });

    it("keeps journal records for every process, and sets a damaged one aside", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const name = "0123456789abcdef0123456789abcdef";
      expect(await a.journal.read(name)).toBeUndefined();
      await a.journal.write(name, { state: "intent", n: 1 });
      expect(await b.journal.read(name)).toEqual({ state: "intent", n: 1 });
      expect(await b.journal.names()).toEqual([name]);
      await b.journal.write(name, { state: "queued", jobId: JOB });
      expect(await a.journal.read(name)).toEqual({ state: "queued", jobId: JOB });

      await place.damageRecord(name, '{"state":"queu');
      expect(await a.journal.read(name)).toBe(DAMAGED);
      expect(await a.journal.read(name)).toBeUndefined();
      expect(await b.journal.setAsideAt(name)).toBeGreaterThan(0);
      await b.journal.settleSetAside(name);
      expect(await a.journal.setAsideAt(name)).toBeUndefined();

      await a.journal.write(name, { state: "intent" });
      await a.journal.setAside(name);
      expect(await b.journal.read(name)).toBeUndefined();
      expect(await b.journal.setAsideAt(name)).toBeGreaterThan(0);
      await a.journal.write(name, { state: "intent" });
      await a.journal.remove(name);
      expect(await b.journal.names()).toEqual([]);
    });

    it("keeps observations oldest first, bounded in count and age", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const bounds = { maxPerKind: 3, maxAgeMs: 60_000 };
      const now = Date.now();
      for (let i = 0; i < 5; i++) await a.observations.append("audit", { fetchedAt: now - 5000 + i, data: { page: i } }, bounds);
      await a.observations.append("opportunities", { fetchedAt: now, data: [] }, bounds);
      expect((await b.observations.list("audit")).map((o) => (o.data as { page: number }).page)).toEqual([2, 3, 4]);
      await b.observations.append("audit", { fetchedAt: now - 120_000, data: { page: "old" } }, bounds);
      expect((await a.observations.list("audit")).map((o) => (o.data as { page: number }).page)).toEqual([2, 3, 4]);
      await b.observations.append("audit", { fetchedAt: now, data: { page: 5 } }, bounds);
      expect((await a.observations.list("audit")).map((o) => (o.data as { page: number }).page)).toEqual([3, 4, 5]);
      expect(await a.observations.list("opportunities")).toHaveLength(1);
    });

    it("keeps task records: create, get, update, list", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const one = await a.tasks.create({ requestKey: "forecast:{}", owner: "session-1" });
      expect(one.status).toBe("working");
      await expect(b.tasks.create({ taskId: one.taskId })).rejects.toBeInstanceOf(TaskExistsError);
      const two = await b.tasks.create({ taskId: "task-2", jobId: JOB, owner: "session-2", status: "working" });
      expect(await b.tasks.get(one.taskId)).toEqual(one);
      const done = await b.tasks.update(one.taskId, { status: "completed", jobId: JOB, detail: { message: "stored" } });
      expect(done).toMatchObject({ taskId: one.taskId, status: "completed", jobId: JOB, requestKey: "forecast:{}", createdAt: one.createdAt });
      expect(done!.updatedAt).toBeGreaterThanOrEqual(one.updatedAt);
      expect(await a.tasks.get(one.taskId)).toEqual(done);
      expect(await a.tasks.update("no-such-task", { status: "failed" })).toBeUndefined();
      expect((await a.tasks.list({ owner: "session-2" })).map((t) => t.taskId)).toEqual([two.taskId]);
      expect((await a.tasks.list({ jobId: JOB })).map((t) => t.taskId).sort()).toEqual([one.taskId, two.taskId].sort());
      expect((await a.tasks.list({ status: "completed" })).map((t) => t.taskId)).toEqual([one.taskId]);
      await a.tasks.remove(two.taskId);
      expect(await b.tasks.get(two.taskId)).toBeUndefined();
      expect(await a.tasks.get("../x")).toBeUndefined();
    });

    it("spends an export budget only with its journal record, never past the limit, across processes", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const spend = { holder: "alice", window: "day:2026-05-01", windowEnd: Date.now() + 86_400_000, limit: 3 };
      // Ten spends at once from two processes, each under its own process's lock: exactly three get a unit and a record.
      const names = Array.from({ length: 10 }, (_, i) => `${String(i).padStart(2, "0")}${"0".repeat(30)}`);
      const results = await Promise.all(names.map((name, i) => {
        const backend = i % 2 ? a : b;
        return backend.lock.run(() => backend.budgets.spendAndRecord(spend, { name, value: { state: "intent", i } }));
      }));
      expect(results.filter((r) => r !== undefined).sort()).toEqual([1, 2, 3]);
      expect((await a.journal.names()).sort()).toEqual(names.filter((_, i) => results[i] !== undefined).sort());
      expect(await b.budgets.spent("alice", spend.window)).toBe(3);
      // Another holder and another period are counted apart.
      expect(await a.lock.run(() => a.budgets.spendAndRecord({ ...spend, holder: "bob" }, { name: "b".repeat(32), value: {} }))).toBe(1);
      expect(await a.lock.run(() => a.budgets.spendAndRecord({ ...spend, window: "day:2026-05-02" }, { name: "c".repeat(32), value: {} }))).toBe(1);
      // A unit given back can be spent again, once.
      await b.lock.run(() => b.budgets.giveBack("alice", spend.window));
      expect(await a.budgets.spent("alice", spend.window)).toBe(2);
      expect(await a.lock.run(() => a.budgets.spendAndRecord(spend, { name: "d".repeat(32), value: {} }))).toBe(3);
      expect(await a.lock.run(() => a.budgets.spendAndRecord(spend, { name: "e".repeat(32), value: {} }))).toBeUndefined();
      expect(await b.journal.read("e".repeat(32))).toBeUndefined();
      // A limit of 0 spends nothing; periods that ended go at a purge.
      expect(await a.lock.run(() => a.budgets.spendAndRecord({ ...spend, holder: "carol", limit: 0 }, { name: "f".repeat(32), value: {} }))).toBeUndefined();
      await a.lock.run(() => a.budgets.purge(spend.windowEnd + 1));
      expect(await b.budgets.spent("alice", spend.window)).toBe(0);
    });

    it("spends nothing when the journal record cannot be written", async () => {
      const place = await makePlace();
      const a = await place.open();
      const spend = { holder: "alice", window: "week:2026-04-27", windowEnd: Date.now() + 86_400_000, limit: 5 };
      // A value that cannot become JSON: the record write fails after the unit was counted.
      await expect(a.lock.run(() => a.budgets.spendAndRecord(spend, { name: "a".repeat(32), value: { n: 1n } }))).rejects.toThrow();
      expect(await a.budgets.spent("alice", spend.window)).toBe(0);
      expect(await a.journal.names()).toEqual([]);
    });

    it("keeps the audit trail of tool calls: newest first, per caller, paged, purged by age", async () => {
      const place = await makePlace();
      const [a, b] = [await place.open(), await place.open()];
      const day = 86_400_000;
      const at = Date.now() - 3 * day;
      const rows = Array.from({ length: 6 }, (_, i) => ({
        id: auditId(at + i * day * 0.5),
        at: at + i * day * 0.5,
        caller: i % 2 ? "alice" : "bob@idp.example.com",
        ...(i % 2 ? {} : { callerName: "bob@example.com" }),
        tool: "clari_query",
        args: JSON.stringify({ sql: `SELECT ${i}` }),
        outcome: i === 3 ? ("error" as const) : ("ok" as const),
        ...(i === 3 ? { error: "Refused" } : {}),
        quotaSpent: i === 4 ? 1 : 0,
        ms: i,
      }));
      for (const [i, row] of rows.entries()) await (i % 2 ? a : b).audit.append(row);
      const newestFirst = [...rows].reverse();
      expect(await b.audit.list({ limit: 10 })).toEqual(newestFirst);
      expect((await a.audit.list({ caller: "alice", limit: 10 })).map((r) => r.id)).toEqual(newestFirst.filter((r) => r.caller === "alice").map((r) => r.id));
      const first = await a.audit.list({ limit: 4 });
      expect(await a.audit.list({ before: first[3]!.id, limit: 4 })).toEqual(newestFirst.slice(4));
      await b.audit.purge(at + 2 * day);
      const left = await a.audit.list({ limit: 10 });
      // Both keep every row made since the cut; the folder drops whole days only, so it may keep more of that day.
      expect(left.slice(0, 2)).toEqual(newestFirst.slice(0, 2));
      expect(left.every((r) => new Date(r.at).toISOString().slice(0, 10) >= new Date(at + 2 * day).toISOString().slice(0, 10))).toBe(true);
    });

    it("carries an export store shared by two processes, size cap included", async () => {
      const place = await makePlace();
      const one = await ExportStore.on(await place.open(), { maxBytes: 25 });
      const two = await ExportStore.on(await place.open(), { maxBytes: 25 });
      await one.save({ ...entry("111111111111111111111111"), completedAt: Date.now() }, "0123456789");
      await two.sync();
      expect((await two.read("111111111111111111111111")).toString()).toBe("0123456789");
      expect(await readFile((await two.localPath("111111111111111111111111"))!, "utf8")).toBe("0123456789");
      await two.save({ ...entry("222222222222222222222222"), completedAt: Date.now() }, "abcdefghij");
      await one.save({ ...entry("333333333333333333333333"), completedAt: Date.now() }, "ABCDEFGHIJ");
      await two.sync();
      expect(two.list().map((e) => e.jobId).sort()).toEqual(["222222222222222222222222", "333333333333333333333333"]);
      const reopened = await ExportStore.on(await place.open());
      expect(reopened.list()).toHaveLength(2);
    });
  });
}

describe("the Postgres backend", () => {
  it("keeps each credential's state apart in one database", async () => {
    const url = await cluster.createDatabase();
    const a = await openPostgresBackend({ url, scope: "org-a", warn });
    const b = await openPostgresBackend({ url, scope: "org-b", warn });
    cleanups.push(() => a.close(), () => b.close());
    await a.index.write([entry(JOB)]);
    await a.files.write(JOB, Readable.from([Buffer.from("{}")]));
    await a.journal.write("0123456789abcdef0123456789abcdef", { x: 1 });
    await a.tasks.create({ taskId: "t1" });
    expect((await b.index.read()).entries).toEqual([]);
    await expect(b.files.read(JOB)).rejects.toThrow(/not in the state database/);
    expect(await b.journal.names()).toEqual([]);
    expect(await b.tasks.get("t1")).toBeUndefined();
  });

  it("keeps local copies in a private folder, removed at close, and clears those of dead processes", async () => {
    const url = await cluster.createDatabase();
    const stale = await mkdtemp(path.join(tmpdir(), "clari-mcp-state-999999999-"));
    const backend = await openPostgresBackend({ url, scope: "s", warn });
    await backend.files.write(JOB, Readable.from([Buffer.from("{}")]));
    const copy = await backend.files.localPath(JOB);
    expect(existsSync(stale)).toBe(false);
    expect(path.basename(path.dirname(copy))).toMatch(new RegExp(`^clari-mcp-state-${process.pid}-`));
    expect((statSync(copy).mode & 0o777).toString(8)).toBe("600");
    expect((statSync(path.dirname(copy)).mode & 0o777).toString(8)).toBe("700");
    await backend.close();
    expect(existsSync(path.dirname(copy))).toBe(false);
  });

  it("creates its schema once when replicas start at the same moment, and checks its version", async () => {
    const url = await cluster.createDatabase();
    const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresBackend({ url, scope: "s", warn })));
    for (const backend of opened) cleanups.push(() => backend.close());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT version FROM clari_mcp_schema")).rows).toEqual([{ version: SCHEMA_VERSION }]);
      await client.query("UPDATE clari_mcp_schema SET version = $1", [SCHEMA_VERSION + 1]);
    } finally {
      await client.end();
    }
    await expect(openPostgresBackend({ url, scope: "s", warn })).rejects.toThrow(/newer than this clari-mcp knows/);
  });

  it("names a database it cannot use with its password hidden", async () => {
    const wrong = cluster.url.replace(encodeURIComponent(cluster.password), "not-the-password-123");
    registerSecret("not-the-password-123");
    try {
      const refused = await openPostgresBackend({ url: wrong, scope: "s", warn }).catch((error: Error) => error);
      expect(refused).toBeInstanceOf(StateDatabaseError);
      expect((refused as Error).message).toMatch(/Could not use the state database postgres:\/\/clari:\*\*\*@127\.0\.0\.1/);
      expect((refused as Error).message).toMatch(/password authentication failed/);
      expect((refused as Error).message).not.toContain("not-the-password-123");
    } finally {
      resetSecrets();
    }
    const closed = cluster.url.replace(`:${cluster.port}/`, ":1/");
    const unreachable = (await openPostgresBackend({ url: closed, scope: "s", warn }).catch((error: Error) => error)) as Error;
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
    expect(unreachable.message).not.toContain(cluster.password);
  });
});
