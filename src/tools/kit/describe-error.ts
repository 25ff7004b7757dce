/**
 * The wording of a failed tool call: what went wrong, then what to do about it. Secrets are
 * scrubbed here as a last line of defence, whatever the error's origin.
 */
import { ClariApiError, ClariConfigError, ClariNetworkError, ClariResponseError } from "../../client/errors.js";
import { redactSecrets } from "../../security/redact.js";
import { BudgetExhaustedError, ExportJobError, NotQueuedError, UnconfirmedQueueError, type NextStep } from "../../exports/index.js";

/** Errors a tool raises for input the schema could not catch (e.g. a path outside a folder). */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}

/** The call that follows a failure of a known job: the jobId always reaches the caller. */
const NEXT_STEP: Record<NextStep, (jobId: string) => string> = {
  wait: (jobId) => `The job is kept: wait on it with clari_wait_for_job {"jobId":"${jobId}"}; that spends no quota.`,
  "ask-again": (jobId) => `Nothing is lost: fetch it with clari_wait_for_job {"jobId":"${jobId}"}; that spends no quota.`,
  "new-export": () => "Ask for the export again to queue a new one (that spends one monthly export).",
};

/**
 * Advice that names this server's tools, by Clari error code. The client words its hint in
 * Clari's terms (src/client/error-body.ts); for these codes the assistant gets this instead.
 */
const TOOL_ADVICE: Record<string, string> = {
  export_monthly_quota_reached:
    "Clari refused to queue the export: the monthly quota or the concurrent-job limit is used up. Check clari_get_limits for what remains and which jobs hold the slots; cancel an unneeded running job or wait for one to finish.",
  type_not_supported: "crm_total and crm_closed cannot be exported; use clari_get_forecast (the synchronous read) for CRM totals.",
  invalid_jobId: "Results exist only for jobs whose status is DONE and not yet expired. Check the job with clari_get_export_job; an expired export must be queued again.",
  export_failed_to_cancel: "The job already finished, so there is nothing to cancel; its results can be read with clari_get_export_results.",
};

/** A 404 on an export job (GET/PATCH /export/jobs/{jobId}, its results). */
const NO_SUCH_EXPORT_JOB = "No such job for this token; list jobs with clari_list_export_jobs.";

/**
 * What to do about a Clari refusal, worded for the assistant. It rewords the client's hint, so an
 * error raised without one (its message already says what to do) gets none.
 */
function adviceFor(error: ClariApiError, known: Known): string | undefined {
  if (error.hint === undefined) return undefined;
  if (error.status === 404 && error.operation.includes("/export/jobs/")) return NO_SUCH_EXPORT_JOB;
  if (error.code === NO_SUCH_FORECAST) return noSuchForecast(known.forecastTabs ?? []);
  return TOOL_ADVICE[error.code] ?? error.hint;
}

/** Clari's own answer to a forecastId that is no Forecast Tab of the org (and only that one). */
const NO_SUCH_FORECAST = "no_such_forecast_config";

function noSuchForecast(tabs: readonly string[]): string {
  const take = "Take the id from the Forecast Tab's URL in Clari";
  if (tabs.length === 0) return `The forecastId is not a Forecast Tab of this org. ${take} (no tab is known here yet: none exported, none in the audit log read, no --forecast-tabs).`;
  return `The forecastId is not a Forecast Tab of this org. Tabs known here: ${tabs.join(", ")} (clari://forecast-tabs). ${take} if it is another.`;
}

/** What the server knows that makes advice concrete. */
export interface Known {
  forecastTabs?: readonly string[];
}

export function describeError(error: unknown, toolName: string, known: Known = {}): string {
  let text: string;
  if (error instanceof ExportJobError) {
    text = `${error.message} ${NEXT_STEP[error.next](error.jobId)}`;
  } else if (error instanceof UnconfirmedQueueError || error instanceof NotQueuedError || error instanceof BudgetExhaustedError || error instanceof ToolInputError) {
    text = error.message;
  } else if (error instanceof ClariApiError) {
    const advice = adviceFor(error, known);
    text = error.message + (advice ? `\nWhat to do: ${advice}` : "") + (error.errorId ? `\n(Clari errorId ${error.errorId})` : "");
  } else if (error instanceof ClariNetworkError) {
    const sent = error.mayHaveReachedServer ? "" : " Nothing was sent to Clari.";
    text = `${error.message}${sent}`;
  } else if (error instanceof ClariResponseError) {
    text = `${error.message} Try the call again; if it persists Clari may be returning a damaged response.`;
  } else if (error instanceof ClariConfigError) {
    text = error.message;
  } else {
    text = `${toolName} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
  }
  return redactSecrets(text);
}
