/**
 * A parse thread that cannot be started (Node's Worker constructor throws ERR_WORKER_INIT_FAILED
 * when the system refuses a thread: EAGAIN under a thread limit) is no failure of the read: the
 * stored file is parsed in process, with every row. Not in the fast tier: its mock of
 * node:worker_threads would reach the other files of a worker that shares modules.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ForecastParseThread } from "../../src/exports/read/forecast-parse-thread.js";
import { normaliseForecastFile } from "../../src/exports/read/normalise-forecast.js";
import { expectedRows, rowsOf, writeTables } from "../exports/fixtures.js";

vi.mock("node:worker_threads", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:worker_threads")>();
  class Worker {
    constructor() {
      throw Object.assign(new Error("Worker initialization failure: EAGAIN"), { code: "ERR_WORKER_INIT_FAILED" });
    }
  }
  return { ...original, default: { ...original, Worker }, Worker };
});

const dir = mkdtempSync(path.join(tmpdir(), "clari-thread-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a parse thread the system refuses to start", () => {
  it("leaves the stored file to be parsed in process, whole", async () => {
    const file = path.join(dir, "stored.json");
    writeFileSync(file, writeTables({ entriesFirst: true }));
    expect(ForecastParseThread.start({ queryMemoryMb: 1024 })).toBeUndefined();
    const table = await normaliseForecastFile(file, { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 });
    expect(rowsOf(table)).toEqual(expectedRows());
  });
});
