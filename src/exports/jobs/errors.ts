/**
 * Failures of the export life cycle that concern one known job. Each carries the jobId and, as
 * data, the next step (wait again, fetch again, or a new export), so that no failure can lose a
 * jobId: the tools' wording (tools/kit/describe-error.ts) turns `next` into the exact call to make.
 */
import { ClariApiError } from "../../client/errors.js";

export type NextStep = "wait" | "ask-again" | "new-export";

/** Clari says it does not know the job (404 job_not_found or invalid_jobid). */
export function isJobNotFound(error: unknown): boolean {
  return error instanceof ClariApiError && error.status === 404 && /not_found|invalid_jobid/i.test(error.code);
}

/** A results request Clari answered as gone: the job unknown (404) or its file no longer there (410). */
export function isResultsGone(error: unknown): boolean {
  return isJobNotFound(error) || (error instanceof ClariApiError && error.status === 410);
}

export class ExportJobError extends Error {
  override readonly name = "ExportJobError";
  constructor(
    readonly jobId: string,
    message: string,
    readonly next: NextStep,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * A queue POST ended without Clari's answer and Clari's job list does not (yet) show the job:
 * it may exist. Nothing is queued again for this request until the job list has had time to show it.
 */
export class UnconfirmedQueueError extends Error {
  override readonly name = "UnconfirmedQueueError";
  constructor(
    message: string,
    /** When an identical request may queue again if Clari still shows no job (epoch ms). */
    readonly retryAt: number,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** An export is larger than the configured download cap: it was not kept. */
export class DownloadTooLargeError extends Error {
  override readonly name = "DownloadTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`larger than the ${Math.round(limitBytes / 1048576)} MB download cap`);
  }
}

/**
 * A request that was not sent to Clari because what it needs first could not be had: its intent
 * could not be recorded (a full disk, the state database unreachable). Nothing was queued, so
 * asking again once the cause is gone is safe and spends nothing twice.
 */
export class NotQueuedError extends Error {
  override readonly name = "NotQueuedError";
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** A storage failure in a few words for an answer: quoted file paths (this machine's layout) left out. */
export function faultText(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown };
  const message = typeof e?.message === "string" && e.message ? e.message : typeof e?.code === "string" ? e.code : String(error);
  return message.replace(/,? *(?:\w+ )?'[^']*'/g, "").trim();
}

/** The caller's export budget is spent for this period: nothing was queued. The message says when it refills and what is stored. */
export class BudgetExhaustedError extends Error {
  override readonly name = "BudgetExhaustedError";
  constructor(
    message: string,
    /** When the budget refills (epoch ms). */
    readonly refillsAt: number,
  ) {
    super(message);
  }
}
