/**
 * mcp_calls, the audit trail as a query table, is never in a generation file (those are shared by
 * every caller, and DuckDB has no per-caller permissions). The server reads the rows a caller may
 * see (an admin: everyone's; anyone else: their own) and sends them with the query; here they
 * become a TEMP table on the query's own connection, made before the caller's SQL is prepared.
 * Nothing else is in it, and it dies with the connection: no name, catalog function or statement
 * can reach another caller's rows, because they are not in this process for this query.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows, text, ts } from "../append.js";
import { columnsDdl, CONTRACT } from "../contract.js";
import type { CallTuple } from "./protocol.js";

const TABLE = CONTRACT.find((t) => t.name === "mcp_calls")!;

export async function createCallsTable(con: DuckDBConnection, rows: readonly CallTuple[]): Promise<void> {
  await con.run(`CREATE TEMP TABLE ${TABLE.name} (${columnsDdl(TABLE)})`);
  await appendRows(
    con,
    `temp.main.${TABLE.name}`,
    rows.map(([id, at, caller, name, tool, args, outcome, error, spent, ms]) => [id, ts(at), caller, text(name), tool, args, outcome, text(error), spent, ms]),
  );
}
