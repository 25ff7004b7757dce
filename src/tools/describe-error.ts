/**
 * The wording of a failed tool call: what went wrong, then what to do about it. Secrets are
 * scrubbed here as a last line of defence, whatever the error's origin.
 */
import { ClariApiError, ClariConfigError, ClariNetworkError, ClariResponseError } from "../client/errors.js";
import { redactSecrets } from "../client/redact.js";

/** Errors a tool raises for input the schema could not catch (e.g. a path outside a folder). */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}

/** A job finished but what came after (the download) failed: the jobId must reach the caller. */
export class JobFollowUpError extends Error {
  override readonly name = "JobFollowUpError";
  constructor(
    readonly jobId: string,
    override readonly cause: unknown,
  ) {
    super(`Export ${jobId} is DONE but fetching it failed.`);
  }
}

export function describeError(error: unknown, toolName: string): string {
  let text: string;
  if (error instanceof JobFollowUpError) {
    text =
      `${error.message} ${describeError(error.cause, toolName)}
` +
      `Nothing is lost: fetch it with clari_wait_for_job {"jobId":"${error.jobId}"}; that spends no quota.`;
  } else if (error instanceof ClariApiError) {
    text = error.message + (error.hint ? `\nWhat to do: ${error.hint}` : "") + (error.errorId ? `\n(Clari errorId ${error.errorId})` : "");
  } else if (error instanceof ClariNetworkError) {
    const sent = error.mayHaveReachedServer ? "" : " Nothing was sent to Clari.";
    text = `${error.message}${sent}`;
  } else if (error instanceof ClariResponseError) {
    text = `${error.message} Try the call again; if it persists Clari may be returning a damaged response.`;
  } else if (error instanceof ClariConfigError || error instanceof ToolInputError) {
    text = error.message;
  } else {
    text = `${toolName} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
  }
  return redactSecrets(text);
}
