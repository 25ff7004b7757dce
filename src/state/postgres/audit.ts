/** The audit trail of tool calls on Postgres: one row per call in clari_mcp_audit, read newest first by id. */
import type { AuditRow, AuditStorage } from "../backend.js";
import { isAuditRow } from "../audit-trail.js";
import type { Query } from "./db.js";

export function pgAudit(q: Query, scope: string): AuditStorage {
  return {
    async append(row) {
      await q("INSERT INTO clari_mcp_audit (scope, id, at, caller, body) VALUES ($1, $2, $3, $4, $5)", [scope, row.id, row.at, row.caller, JSON.stringify(row)]);
    },
    async list({ caller, before, limit }) {
      const rows = (
        await q(
          "SELECT body FROM clari_mcp_audit WHERE scope = $1 AND ($2::text IS NULL OR caller = $2) AND ($3::text IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
          [scope, caller ?? null, before ?? null, limit],
        )
      ).rows;
      const out: AuditRow[] = [];
      for (const row of rows) {
        try {
          const parsed: unknown = JSON.parse(String(row.body));
          if (isAuditRow(parsed)) out.push(parsed);
        } catch {
          // damaged: passed over
        }
      }
      return out;
    },
    async purge(before) {
      await q("DELETE FROM clari_mcp_audit WHERE scope = $1 AND at < $2", [scope, before]);
    },
  };
}
