/** A real ClariClient pointed at a sandbox, with fast retries for tests. */
import { expect } from "vitest";
import { ClariClient, type ClariClientOptions } from "../../src/client/clari-client.js";
import { ClariApiError } from "../../src/client/errors.js";
import type { Sandbox } from "../../src/sandbox/index.js";

export const API_KEY = "sandbox";
export const PARTNER_KEY = "sandbox-partner";
/** Retries quick enough for tests, as many as the product makes. */
export const TEST_RETRY = { maxRetries: 3, minDelayMs: 20, maxDelayMs: 200 };

export async function startClariClient(sandbox: Sandbox, overrides: Partial<ClariClientOptions> = {}): Promise<ClariClient> {
  return new ClariClient({
    apiKey: API_KEY,
    partnerKey: PARTNER_KEY,
    v4BaseUrl: sandbox.v4Url,
    v2BaseUrl: sandbox.v2Url,
    retry: TEST_RETRY,
    ...overrides,
  });
}

/** The ClariApiError a call rejects with (the test fails if it resolves or throws anything else). */
export async function apiError(promise: Promise<unknown>): Promise<ClariApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClariApiError);
  return error as ClariApiError;
}
