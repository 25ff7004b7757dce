/**
 * The advice a failed tool call ends with: the client classifies a Clari error and explains it in
 * Clari's terms; describeError words it for the assistant, naming this server's tools.
 */
import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../../src/client/error-body.js";
import { ClariApiError } from "../../src/client/errors.js";
import { describeError } from "../../src/tools/kit/describe-error.js";

const exportError = (status: number, code: string, message: string, operation = "POST /export/forecast/{forecastId}") =>
  errorFromResponse({ status, operation, bodyText: JSON.stringify({ code, message, errorId: "e-1" }) });

const advice = (error: unknown): string | undefined => /\nWhat to do: (.*)/.exec(describeError(error, "clari_test"))?.[1];

describe("describeError advice", () => {
  it.each([
    [
      "export_monthly_quota_reached",
      "Clari refused to queue the export: the monthly quota or the concurrent-job limit is used up. Check clari_get_limits for what remains and which jobs hold the slots; cancel an unneeded running job or wait for one to finish.",
    ],
    ["type_not_supported", "crm_total and crm_closed cannot be exported; use clari_get_forecast (the synchronous read) for CRM totals."],
    ["invalid_jobId", "Results exist only for jobs whose status is DONE and not yet expired. Check the job with clari_get_export_job; an expired export must be queued again."],
    ["export_failed_to_cancel", "The job already finished, so there is nothing to cancel; its results can be read with clari_get_export_results."],
  ])("%s names the tool to use", (code, text) => {
    const error = exportError(400, code, "refused");
    expect(error.hint).toBeTruthy();
    expect(error.hint).not.toMatch(/clari_/);
    expect(advice(error)).toBe(text);
  });

  it("a missing export job points at clari_list_export_jobs; a missing ingest job does not", () => {
    const exportJob = exportError(404, "job_not_found", "No such job", "GET /export/jobs/{jobId}");
    expect(advice(exportJob)).toBe("No such job for this token; list jobs with clari_list_export_jobs.");
    const ingestJob = errorFromResponse({ status: 404, operation: "GET /ingest/job/{jobId}", bodyText: JSON.stringify({ error: "Bulk ingestion job not found. Please provide correct jobId." }) });
    expect(advice(ingestJob)).toBe("No such job for this token.");
  });

  it("passes the client's hint through where no tool is involved", () => {
    const notOptedIn = errorFromResponse({ status: 401, operation: "POST /export/forecast/{forecastId}", bodyText: JSON.stringify({ code: "no_optin", message: "not opted in" }) });
    expect(advice(notOptedIn)).toBe(notOptedIn.hint);
    expect(advice(notOptedIn)).toMatch(/opted in/);
    const badKey = errorFromResponse({ status: 401, operation: "GET /admin/limits", bodyText: JSON.stringify({ error: "Invalid authentication credentials" }) });
    expect(advice(badKey)).toMatch(/CLARI_API_KEY/);
  });

  it("Clari's own no_such_forecast_config names the tabs known here, or says none is known yet", () => {
    const unknownTab = exportError(400, "no_such_forecast_config", "Forecast deal_owner does not exist in the ForecastTemplate.");
    const known = /\nWhat to do: (.*)/.exec(describeError(unknownTab, "clari_export_forecast", { forecastTabs: ["net_bookings", "renewals"] }))?.[1];
    expect(known).toBe("The forecastId is not a Forecast Tab of this org. Tabs known here: net_bookings, renewals (clari://forecast-tabs). Take the id from the Forecast Tab's URL in Clari if it is another.");
    expect(advice(unknownTab)).toMatch(/no tab is known here yet/);
    // Another error of the same call does not list tabs.
    expect(describeError(exportError(400, "export_monthly_quota_reached", "refused"), "clari_export_forecast", { forecastTabs: ["net_bookings"] })).not.toMatch(/net_bookings/);
  });

  it("adds no advice to an error raised without a hint (its message already says what to do)", () => {
    const explained = new ClariApiError({
      status: 400,
      code: "export_monthly_quota_reached",
      family: "export",
      operation: "POST /export/forecast/{forecastId}",
      message: "refused\nThe monthly export quota is used up: wait for a running job to finish (clari_wait_for_job).",
    });
    expect(describeError(explained, "clari_test")).not.toMatch(/What to do/);
  });
});
