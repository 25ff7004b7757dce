/**
 * A forecast download is parsed on a worker thread (read/forecast-parse-thread.ts, the built
 * thread script): every shape gives the fixture's true rows, fed in uneven chunks as a download
 * feeds it, with who changed each row and the warnings; rows past the memory cap are refused with
 * the flag named; bytes that are no forecast are reported, not crashed on; an aborted download
 * ends the thread.
 */
import { describe, expect, it } from "vitest";
import { ForecastParseThread, ParseThreadLost } from "../../src/exports/read/forecast-parse-thread.js";
import { ForecastParseError, ForecastTooLargeError } from "../../src/exports/read/forecast-shape.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { BYTES_PER_ROW } from "../../src/exports/read/row-budget.js";
import { allShapes, changesOf, expectedRows, rowsOf, withoutUserId, writeTables } from "./fixtures.js";

function started(queryMemoryMb?: number): ForecastParseThread {
  const thread = ForecastParseThread.start({ queryMemoryMb });
  if (!thread) throw new Error("No built parse thread (dist/parse-thread.js): run npm run build first.");
  return thread;
}

/** The bytes in chunks of 1, 2, ... 997 bytes, each awaited as the download's tap awaits it. */
async function feed(thread: ForecastParseThread, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7) % 997 || 1) {
    thread.write(bytes.subarray(at, at + size));
    await thread.ready();
  }
}

describe("the forecast parse thread", () => {
  const truth = expectedRows();

  it("gives the true rows of every shape, and the same table as parsing in-process", async () => {
    for (const [shape, text, keepsUserIds] of allShapes()) {
      const thread = started(1024);
      await feed(thread, text);
      const table = await thread.finish();
      expect(table.shape).toBe(shape);
      expect(table.warnings).toEqual([]);
      expect(keepsUserIds ? rowsOf(table) : withoutUserId(rowsOf(table))).toEqual(keepsUserIds ? truth : withoutUserId(truth));
      const here = normaliseForecast(text);
      expect(rowsOf(table)).toEqual(rowsOf(here));
      expect(changesOf(table)).toEqual(changesOf(here));
      // The table still works as one: its dictionaries intern and look up.
      expect(table.fields.lookup(table.fields.get(0))).toBe(0);
      expect(table.internDataType("forecast")).toBe(here.internDataType("forecast"));
    }
  });

  it("refuses rows past the memory cap with the flag named, while the bytes still come or at their end", async () => {
    const thread = started((10 * BYTES_PER_ROW) / (1024 * 1024));
    const refused = await feed(thread, writeTables())
      .then(() => thread.finish())
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ForecastTooLargeError);
    expect((refused as Error).message).toMatch(/more than 10 rows, more than --query-memory-mb/);
    expect(() => thread.write(Buffer.from("[]"))).toThrow(ForecastTooLargeError);
  });

  it("refuses rows past the cap that only the end of the stream brings (the last entry parsed at the end)", async () => {
    // Eleven entries of one value each, the cap at ten rows: the first write's cut takes ten, the end the eleventh.
    const entries = Array.from({ length: 11 }, (_, i) => ({ userId: `u${i}`, fieldId: "f", timePeriodId: "2026_Q4", timeFrameId: "w1", forecastValue: i }));
    const thread = started((10 * BYTES_PER_ROW) / (1024 * 1024));
    thread.write(Buffer.from(JSON.stringify({ entries })));
    await thread.ready();
    const refused = await thread.finish().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ForecastTooLargeError);
    expect((refused as Error).message).toMatch(/more than 10 rows/);
  });

  it("reports bytes that are not a forecast as unreadable (a ForecastParseError, as in process)", async () => {
    const thread = started(1024);
    await feed(thread, '{"entries": [{"userId": "u1", "fieldId": ');
    thread.write(Buffer.from("}}}"));
    const failed = await thread.finish().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ForecastParseError);
    expect((failed as Error).message).toMatch(/not valid JSON|cannot be read/);
  });

  it("a cut-off file gives its whole entries and says it was truncated", async () => {
    const text = writeTables({ entriesFirst: true });
    const thread = started(1024);
    await feed(thread, text.slice(0, Math.floor(text.length / 2)));
    const table = await thread.finish();
    expect(table.length).toBeGreaterThan(0);
    expect(table.length).toBeLessThan(truth.length);
    expect(table.warnings.join(" ")).toMatch(/truncated/i);
  });

  it("an aborted download ends the thread: finishing then fails instead of waiting", async () => {
    const thread = started(1024);
    thread.write(Buffer.from("[1,"));
    thread.abort();
    await expect(thread.finish()).rejects.toThrow(/download failed/);
  });

  it("a thread that dies says so (ParseThreadLost, not a verdict on the bytes): its caller parses the stored file instead", async () => {
    const thread = started(1024);
    const text = writeTables({ entriesFirst: true });
    await feed(thread, text.slice(0, 1000));
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const lost = await thread.finish().catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(ParseThreadLost);
    expect((lost as Error).message).toMatch(/parse thread ended/);
    await expect(thread.ready()).resolves.toBeUndefined();
  });
});
