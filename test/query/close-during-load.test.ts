/**
 * Closing the server stops a load in progress, also while the load has given the thread up
 * (append.ts yields every 32,768 rows, with no statement running for an interrupt to reach): it
 * stops at its next turn, and nothing is appended after close() was called.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { appendNumericChunks, appendRows } from "../../src/exports/query/append.js";
import { Generations } from "../../src/exports/query/generations.js";

const ROWS = 200_000;
const CLOSE_AT = 30_000;

/** Loads ROWS rows one way, asking the generations to close at row CLOSE_AT; what became of the load. */
async function closeDuring(load: (con: Parameters<Parameters<Generations["next"]>[0]>[0], onRow: (i: number) => void) => Promise<unknown>) {
  const generations = new Generations(256);
  let closing: Promise<void> | undefined;
  let rowsAfterClose = 0;
  const onRow = (i: number): void => {
    // The server is asked to close while this load runs (a signal, the transport ending).
    if (i === CLOSE_AT) setImmediate(() => (closing = generations.close()));
    if (closing) rowsAfterClose++;
  };
  const outcome = await generations.next((con) => load(con, onRow).then(() => undefined)).then(
    (g) => ({ finished: g.file }),
    (error: unknown) => ({ stopped: (error as Error).message }),
  );
  await closing;
  return { outcome, rowsAfterClose, closed: closing !== undefined };
}

describe("closing during a load", () => {
  it("stops a row-by-row load at its next turn", async () => {
    const { outcome, rowsAfterClose, closed } = await closeDuring(async (con, onRow) => {
      await con.run("CREATE TABLE t (i INTEGER, d DOUBLE)");
      await appendRows(con, "t", (function* () {
        for (let i = 0; i < ROWS; i++) {
          onRow(i);
          yield [i, i / 2];
        }
      })());
    });
    expect(closed).toBe(true);
    expect(outcome).toMatchObject({ stopped: expect.stringMatching(/interrupt/i) });
    expect(rowsAfterClose).toBe(0);
  }, 60_000);

  it("stops a load of numeric chunks at its next turn, and leaves no generation file", async () => {
    const { outcome, rowsAfterClose, closed } = await closeDuring(async (con, onRow) => {
      await con.run("CREATE TABLE t (i INTEGER, d DOUBLE)");
      await appendNumericChunks(con, "t", ["INTEGER", "DOUBLE"], (function* () {
        for (let start = 0; start < ROWS; start += 2048) {
          const i = Float64Array.from({ length: 2048 }, (_, k) => start + k);
          for (let k = 0; k < 2048; k++) onRow(start + k);
          yield { length: 2048, columns: [i, i.map((v) => v / 2)] };
        }
      })());
    });
    expect(closed).toBe(true);
    expect(outcome).toMatchObject({ stopped: expect.stringMatching(/interrupt/i) });
    expect(rowsAfterClose).toBeLessThanOrEqual(2048);
    if ("finished" in outcome) expect(existsSync(outcome.finished)).toBe(false);
  }, 60_000);
});
