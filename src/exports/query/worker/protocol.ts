/** The messages between the server and its query worker (JSON over the IPC channel). */
import type { BoundedResult, Bounds } from "../reader/run-bounded.js";

/** One mcp_calls row: call_id, called_at (epoch ms), caller, caller_name, tool, arguments, outcome, error, quota_spent, duration_ms. */
export type CallTuple = [string, number, string, string | null, string, string, string, string | null, number, number];

export type ToWorker =
  /** Serve queries from this generation file from now on (older ones close when idle). */
  | { type: "open"; generation: number; file: string }
  /** calls: the mcp_calls rows this query's caller may see, when its SQL names the table. */
  | { type: "query"; id: number; generation: number; sql: string; bounds: Bounds; statementCheck: boolean; calls?: CallTuple[] }
  | { type: "interrupt"; id: number };

export type QueryFailure = { kind: "refused" | "failed" | "interrupted" | "memory"; message: string };

export type FromWorker =
  | { type: "ready" }
  | { type: "opened"; generation: number; error?: string }
  | { type: "result"; id: number; result: BoundedResult }
  | { type: "error"; id: number; error: QueryFailure };
