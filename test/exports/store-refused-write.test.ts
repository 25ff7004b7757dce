/**
 * A change to the store whose index write is refused (a full disk) changes nothing: this process
 * sees what the index on disk says, as every other process does. Before, the change was kept in
 * memory only: a damaged download's discard left it listed on disk (reused by the next process)
 * while this one no longer saw it (found by a red-team pass).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExportStore } from "../../src/exports/index.js";
import { folderBackendOn, openFolderBackend } from "../../src/state/folder.js";
import { processLock } from "../../src/state/lock.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("a store change whose index write is refused", () => {
  it("leaves this process and the index on disk agreeing", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "clari-store-refused-"));
    dirs.push(dir);
    await openFolderBackend(dir, () => undefined);
    const backend = folderBackendOn(dir, processLock());
    let refuse = false;
    const write = backend.index.write.bind(backend.index);
    backend.index.write = async (entries) => {
      if (refuse) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      return write(entries);
    };
    const store = await ExportStore.on(backend);
    const now = Date.now();
    const meta = (jobId: string) => ({ jobId, kind: "forecast" as const, requestKey: `forecast:${jobId}`, request: { forecastId: "net_bookings" }, mimeType: "application/json" as const, completedAt: now, expiresAt: now + 86_400_000 });
    await store.save(meta("job1"), '{"entries":[]}');

    refuse = true;
    await expect(store.discard("job1")).rejects.toThrow(/ENOSPC/);
    expect(store.get("job1")).toBeDefined();
    expect((await ExportStore.open(dir)).get("job1")).toBeDefined();
    // A save refused the same way is not listed here either (its whole file is indexed again at the next start).
    await expect(store.save(meta("job2"), '{"entries":[]}')).rejects.toThrow(/ENOSPC/);
    expect(store.get("job2")).toBeUndefined();

    // Space is back: the same discard goes through, here and on disk.
    refuse = false;
    await store.discard("job1");
    expect(store.get("job1")).toBeUndefined();
    expect((await ExportStore.open(dir)).get("job1")).toBeUndefined();
  });
});
