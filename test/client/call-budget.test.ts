/** A request's signal: the caller's cancellation or the time budget, and nothing left behind once released. */
import { describe, expect, it } from "vitest";
import { callBudget } from "../../src/client/call-budget.js";

describe("callBudget", () => {
  it("aborts with a TimeoutError when the budget runs out", async () => {
    const budget = callBudget(undefined, 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(budget.signal.aborted).toBe(true);
    expect((budget.signal.reason as DOMException).name).toBe("TimeoutError");
  });

  it("follows the caller's cancellation, with the caller's reason", () => {
    const caller = new AbortController();
    const budget = callBudget(caller.signal, 60_000);
    caller.abort(new Error("cancelled by the client"));
    expect(budget.signal.aborted).toBe(true);
    expect((budget.signal.reason as Error).message).toBe("cancelled by the client");
    budget.release();
  });

  it("is aborted at once for a caller already cancelled", () => {
    const caller = new AbortController();
    caller.abort("gone");
    expect(callBudget(caller.signal, 60_000).signal.reason).toBe("gone");
  });

  it("once released, neither the budget nor the caller aborts it", async () => {
    const caller = new AbortController();
    const budget = callBudget(caller.signal, 20);
    budget.release();
    caller.abort();
    await new Promise((r) => setTimeout(r, 60));
    expect(budget.signal.aborted).toBe(false);
  });
});
