/**
 * A stored forecast export's table, read from its file in one streaming pass (a large one on the
 * parse thread): for a table no longer in memory, and (in process) for a download whose parse
 * thread died before its table was ready.
 */
import type { ExportStore } from "../store/store.js";
import type { ForecastTable } from "./forecast-table.js";

/** `onThread`: a large file is parsed on the parse thread (read/normalise-forecast.ts); not for a download whose thread just died. */
export async function readStoredForecast(store: ExportStore, jobId: string, queryMemoryMb: number | undefined, { onThread = true } = {}): Promise<ForecastTable> {
  // The parsers (csv-parse, the JSON reader) load on first use, not at start-up.
  const { normaliseForecast, normaliseForecastFile } = await import("../read/normalise-forecast.js");
  const localPath = await store.localPath(jobId);
  return localPath ? normaliseForecastFile(localPath, { queryMemoryMb, onThread }) : normaliseForecast(await store.read(jobId));
}
