/**
 * One copy of an export's rows: once the query engine has loaded a forecast export and its
 * summary has been given, the JavaScript row model is let go; the summary is kept (small), and a
 * page of rows is read by parsing the stored file again, giving the same rows.
 */
import { describe, expect, it } from "vitest";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { harnessPerTest, textOf } from "../helpers/harness.js";

const harness = harnessPerTest();
type Structured = Record<string, unknown>;
const structured = (result: unknown): Structured => (result as { structuredContent: Structured }).structuredContent;

describe("one copy of the rows", () => {
  it("the row model goes once the engine holds the export; summaries and pages still answer the same", async () => {
    const h = await harness({ sandbox: { jobDurationMs: 50 } });
    const exported = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 20 } });
    expect(exported.isError, textOf(exported)).toBeFalsy();
    const first = structured(exported);
    const jobId = String(first.jobId);
    expect(first.outcome).toBe("done");

    const query = await h.client.callTool({ name: "clari_query", arguments: { sql: `SELECT count(*) AS n FROM forecast_all WHERE export_id = '${jobId}'` } });
    expect(query.isError, textOf(query)).toBeFalsy();
    // The engine has loaded it and the answer's summary was taken: no whole table is held.
    expect(h.deps.tables.size).toBe(0);

    // The summary is the one given first, without the rows.
    const again = await h.client.callTool({ name: "clari_wait_for_job", arguments: { jobId } });
    expect(structured(again).summary).toEqual(first.summary);
    expect(h.deps.tables.size).toBe(0);

    // A page of rows comes from one pass over the stored file: the same rows as the file.
    const truth = [...normaliseForecast(await h.deps.store.read(jobId)).rows()];
    const page = await h.client.callTool({ name: "clari_get_export_results", arguments: { jobId, page: 2, pageSize: 7 } });
    expect(page.isError, textOf(page)).toBeFalsy();
    expect(structured(page).totalRows).toBe(truth.length);
    expect(structured(page).rows).toEqual(truth.slice(7, 14).map((row) => ({ ...row })));
  });
});
