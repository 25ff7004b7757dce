/** The messages between the server and its forecast parse thread (parse-thread-main.ts). */
import type { ForecastTable } from "../table/forecast-table.js";

export type ToParseThread = { type: "bytes"; bytes: Uint8Array } | { type: "end" };

export type FromParseThread =
  /** These bytes have been parsed (the sender keeps its in-flight bytes bounded). */
  | { type: "taken"; bytes: number }
  /** The rows passed the memory cap's budget: the download stops. */
  | { type: "too-large"; maxRows: number; queryMemoryMb: number }
  /** The bytes cannot be read (`unreadable`: a ForecastParseError there, as in process): the download is damaged. */
  | { type: "failed"; message: string; unreadable: boolean }
  /** The finished table, as structured cloning delivers it (ForecastTable.fromClone). */
  | { type: "table"; table: ForecastTable };
