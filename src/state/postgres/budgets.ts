/**
 * Export budgets on Postgres: one row per scope, holder and period in clari_mcp_budgets. A spend is
 * a conditional upsert (counted only while below the limit) and the request's intent is inserted
 * into the journal in the same transaction: both happen, or neither. Replicas spending the last
 * unit at once are serialised by the row (and by the store's advisory lock around the decision).
 */
import type pg from "pg";
import type { BudgetStorage } from "../backend.js";
import { transaction, type Query } from "./db.js";
import { writeRecord } from "./journal.js";

export function pgBudgets(pool: pg.Pool, q: Query, scope: string): BudgetStorage {
  return {
    async spendAndRecord(spend, record) {
      if (spend.limit <= 0) return undefined;
      return transaction(pool, async (t) => {
        const row = (
          await t(
            "INSERT INTO clari_mcp_budgets AS b (scope, holder, window_key, window_end, spent) VALUES ($1, $2, $3, $4, 1) " +
              "ON CONFLICT (scope, holder, window_key) DO UPDATE SET spent = b.spent + 1 WHERE b.spent < $5 RETURNING spent",
            [scope, spend.holder, spend.window, spend.windowEnd, spend.limit],
          )
        ).rows[0];
        if (!row) return undefined;
        await writeRecord(t, scope, record.name, record.value);
        return Number(row.spent);
      });
    },
    async giveBack(holder, window) {
      await q("UPDATE clari_mcp_budgets SET spent = spent - 1 WHERE scope = $1 AND holder = $2 AND window_key = $3 AND spent > 0", [scope, holder, window]);
    },
    async spent(holder, window) {
      const row = (await q("SELECT spent FROM clari_mcp_budgets WHERE scope = $1 AND holder = $2 AND window_key = $3", [scope, holder, window])).rows[0];
      return row ? Number(row.spent) : 0;
    },
    async purge(before) {
      await q("DELETE FROM clari_mcp_budgets WHERE scope = $1 AND window_end < $2", [scope, before]);
    },
  };
}
