/**
 * Export budgets kept as one small JSON document of counts (the folder's `budgets/spent.json`, or
 * memory), beside the journal's records. Every call runs under the store's lock (the caller holds
 * it), so a read-change-write of the document and the journal write that goes with a spend are one
 * critical section for every process on the folder. A spend is written before its journal record;
 * if the record cannot be written the unit is given back before the error goes on, so an error
 * never leaves a unit spent (a crash between the two writes can: a unit lost, never one too many).
 */
import type { BudgetStorage, RecordStorage } from "./backend.js";

interface Count {
  spent: number;
  /** When the period ends (epoch ms). */
  end: number;
}

type Counts = Record<string, Count>;

const DOCUMENT = "spent";

const keyOf = (holder: string, window: string): string => JSON.stringify([holder, window]);

/** `counts` holds the document (under the name "spent"); `records` are the journal's. */
export function countedBudgets(counts: RecordStorage, records: RecordStorage): BudgetStorage {
  const read = async (): Promise<Counts> => {
    const value = await counts.read(DOCUMENT);
    // A damaged document was set aside by read: counting starts again (a unit may be spent twice, never lost for good).
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Counts) : {};
  };
  const change = async (holder: string, window: string, by: number, end?: number): Promise<number> => {
    const doc = await read();
    const key = keyOf(holder, window);
    const now = doc[key] ?? { spent: 0, end: end ?? 0 };
    const spent = Math.max(0, now.spent + by);
    doc[key] = { spent, end: end ?? now.end };
    await counts.write(DOCUMENT, doc);
    return spent;
  };
  return {
    async spendAndRecord(spend, record) {
      const doc = await read();
      if ((doc[keyOf(spend.holder, spend.window)]?.spent ?? 0) >= spend.limit) return undefined;
      const spent = await change(spend.holder, spend.window, 1, spend.windowEnd);
      try {
        await records.write(record.name, record.value);
      } catch (error) {
        await change(spend.holder, spend.window, -1).catch(() => undefined);
        throw error;
      }
      return spent;
    },
    async giveBack(holder, window) {
      await change(holder, window, -1);
    },
    async spent(holder, window) {
      return (await read())[keyOf(holder, window)]?.spent ?? 0;
    },
    async purge(before) {
      const doc = await read();
      const kept = Object.fromEntries(Object.entries(doc).filter(([, count]) => count.end >= before));
      if (Object.keys(kept).length !== Object.keys(doc).length) await counts.write(DOCUMENT, kept);
    },
  };
}
