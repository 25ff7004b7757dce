/**
 * A stored forecast file read again (a table no longer in memory, the first question after a
 * restart without a kept copy) is parsed on the parse thread when it is large: every shape gives
 * the same table as parsing in process and the fixture's true rows; a small file stays in
 * process, and so do files past the two read on threads at once; a damaged file fails as it does
 * in process; rows past the memory cap are refused with the flag named; a thread that dies leaves
 * the file to be parsed in process, the rows still whole.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { ForecastParseThread } from "../../src/exports/read/forecast-parse-thread.js";
import { ForecastParseError, ForecastTooLargeError } from "../../src/exports/read/forecast-shape.js";
import { ForecastSink } from "../../src/exports/read/forecast-sink.js";
import { normaliseForecastFile } from "../../src/exports/read/normalise-forecast.js";
import { BYTES_PER_ROW } from "../../src/exports/read/row-budget.js";
import { allShapes, changesOf, expectedRows, rowsOf, withoutUserId, writeTables } from "./fixtures.js";

const dir = mkdtempSync(path.join(tmpdir(), "clari-stored-thread-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function fileOf(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("a stored forecast file parsed on the parse thread", () => {
  const truth = expectedRows();

  it("gives the true rows of every shape, and the same table as parsing in process", async () => {
    for (const [shape, text, keepsUserIds] of allShapes()) {
      const file = fileOf(`${shape}.data`, text);
      const start = vi.spyOn(ForecastParseThread, "start");
      const table = await normaliseForecastFile(file, { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 });
      expect(start).toHaveBeenCalledTimes(1);
      expect(start.mock.results[0]?.value, "no built parse thread (dist/parse-thread.js): run npm run build first").toBeInstanceOf(ForecastParseThread);
      start.mockRestore();
      const here = await normaliseForecastFile(file, { queryMemoryMb: 1024 });
      expect(table.shape).toBe(shape);
      expect(table.warnings).toEqual(here.warnings);
      expect(keepsUserIds ? rowsOf(table) : withoutUserId(rowsOf(table))).toEqual(keepsUserIds ? truth : withoutUserId(truth));
      expect(rowsOf(table)).toEqual(rowsOf(here));
      expect(changesOf(table)).toEqual(changesOf(here));
    }
  });

  it("leaves a file under the thread's threshold to be parsed in process", async () => {
    const start = vi.spyOn(ForecastParseThread, "start");
    const table = await normaliseForecastFile(fileOf("small.json", writeTables()), { onThread: true });
    expect(start).not.toHaveBeenCalled();
    expect(table.length).toBe(truth.length);
  });

  it("reads at most two stored files on threads at once; the others in process, every table whole", async () => {
    const start = vi.spyOn(ForecastParseThread, "start");
    const files = Array.from({ length: 5 }, (_, i) => fileOf(`many-${i}.json`, writeTables({ entriesFirst: true })));
    const tables = await Promise.all(files.map((file) => normaliseForecastFile(file, { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 })));
    expect(start).toHaveBeenCalledTimes(2);
    for (const table of tables) expect(rowsOf(table)).toEqual(truth);
    // Once they have ended, a thread is free again.
    await normaliseForecastFile(files[0]!, { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 });
    expect(start).toHaveBeenCalledTimes(3);
  });

  it("fails on a damaged file with the same error, class and message, as in process", async () => {
    const file = fileOf("damaged.json", '{"entries": [ {"userId": "u1",, } ]}');
    const here = await normaliseForecastFile(file, { queryMemoryMb: 1024 }).catch((error: unknown) => error);
    const there = await normaliseForecastFile(file, { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 }).catch((error: unknown) => error);
    expect(here).toBeInstanceOf(ForecastParseError);
    expect(there).toBeInstanceOf(ForecastParseError);
    expect((there as Error).message).toBe((here as Error).message);
  });

  it("refuses rows past the memory cap with the flag named", async () => {
    const refused = await normaliseForecastFile(fileOf("capped.json", writeTables()), { onThread: true, threadMinBytes: 0, queryMemoryMb: (10 * BYTES_PER_ROW) / (1024 * 1024) }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ForecastTooLargeError);
    expect((refused as Error).message).toMatch(/more than 10 rows, more than --query-memory-mb/);
  });

  it("a thread that dies leaves the file to be parsed in process, its rows whole", async () => {
    const original = ForecastParseThread.start.bind(ForecastParseThread);
    let killed = false;
    vi.spyOn(ForecastParseThread, "start").mockImplementation((options) => {
      const thread = original(options);
      // Dies after its first bytes, as a thread that crashed would.
      void (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate().then(() => (killed = true));
      return thread;
    });
    // The in-process sink (the thread runs its own copy of the module, not this one).
    const inProcess = vi.spyOn(ForecastSink.prototype, "finish");
    const table = await normaliseForecastFile(fileOf("dies.json", writeTables({ entriesFirst: true })), { onThread: true, threadMinBytes: 0, queryMemoryMb: 1024 });
    expect(killed).toBe(true);
    expect(inProcess).toHaveBeenCalledTimes(1);
    expect(rowsOf(table)).toEqual(truth);
    expect(table.warnings).toEqual([]);
  });
});
