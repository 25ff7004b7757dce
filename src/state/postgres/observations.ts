/** Kept observations (audit pages, opportunity lookups) on Postgres: one row each, bounded in count and age per kind. */
import type { ObservationStorage, Observed } from "../backend.js";
import type { Query } from "./db.js";

export function pgObservations(q: Query, scope: string): ObservationStorage {
  return {
    async append(kind, observed, { maxPerKind, maxAgeMs }) {
      await q("INSERT INTO clari_mcp_observations (scope, kind, fetched_at, body) VALUES ($1, $2, $3, $4)", [scope, kind, observed.fetchedAt, JSON.stringify(observed)]);
      await q(
        "DELETE FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 AND (fetched_at < $3 OR id NOT IN (SELECT id FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 ORDER BY fetched_at DESC, id DESC LIMIT $4))",
        [scope, kind, Date.now() - maxAgeMs, maxPerKind],
      );
    },
    async list(kind) {
      const rows = (await q("SELECT body FROM clari_mcp_observations WHERE scope = $1 AND kind = $2 ORDER BY fetched_at, id", [scope, kind])).rows;
      const out: Observed<unknown>[] = [];
      for (const row of rows) {
        try {
          out.push(JSON.parse(String(row.body)) as Observed<unknown>);
        } catch {
          /* damaged: nothing to ask of it */
        }
      }
      return out;
    },
  };
}
