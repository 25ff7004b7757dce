/**
 * The wording of a failed tool call: what went wrong, then what to do about it. Secrets are
 * scrubbed here as a last line of defence, whatever the error's origin.
 */
import { ClariApiError, ClariConfigError, ClariNetworkError, ClariResponseError } from "../client/errors.js";
import { redactSecrets } from "../client/redact.js";
import { ExportJobError, UnconfirmedQueueError, type NextStep } from "../exports/jobs/errors.js";

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

export function describeError(error: unknown, toolName: string): string {
  let text: string;
  if (error instanceof ExportJobError) {
    text = `${error.message} ${NEXT_STEP[error.next](error.jobId)}`;
  } else if (error instanceof UnconfirmedQueueError || error instanceof ToolInputError) {
    text = error.message;
  } else if (error instanceof ClariApiError) {
    text = error.message + (error.hint ? `\nWhat to do: ${error.hint}` : "") + (error.errorId ? `\n(Clari errorId ${error.errorId})` : "");
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
