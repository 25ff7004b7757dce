/**
 * A query interrupted before any of its statements runs (while its connection opens, or its
 * mcp_calls rows are appended, which gives the thread up between rows) stops: the interrupt is
 * kept for it, not lost on a connection with nothing running (then the query ran to its end, and
 * a long one held the worker until the server killed it, re-sending others' queries).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Generations } from "../../src/exports/query/generations.js";
import type { CallTuple, FromWorker } from "../../src/exports/query/worker/protocol.js";
import { serveQueries } from "../../src/exports/query/worker/serve-queries.js";

const BOUNDS = { limit: 5, cellBytes: 4096, totalBytes: 65536 };

describe("an interrupt that comes before the query's statements", () => {
  const closing: Array<() => unknown> = [];
  afterEach(async () => {
    while (closing.length) await closing.pop()!();
  });

  async function worker() {
    const generations = new Generations(256);
    closing.push(() => generations.close());
    const { generation, file } = await generations.next(async () => undefined);
    const sent: FromWorker[] = [];
    const service = serveQueries((message) => sent.push(message), { memoryMb: 256, threads: 1, scrub: (text) => text });
    closing.push(() => service.close());
    service.handle({ type: "open", generation, file });
    await expect.poll(() => sent.some((m) => m.type === "opened")).toBe(true);
    const answer = (id: number) => expect.poll(() => sent.find((m) => (m.type === "result" || m.type === "error") && m.id === id), { timeout: 20_000 });
    return { service, generation, answer };
  }

  it("stops the query, and the next one is answered", async () => {
    const { service, generation, answer } = await worker();
    service.handle({ type: "query", id: 1, generation, sql: "SELECT count(*) FROM range(100000000) a, range(10) b", bounds: BOUNDS, statementCheck: true, timeoutMs: 60_000 });
    service.handle({ type: "interrupt", id: 1 });
    await answer(1).toMatchObject({ type: "error", error: { kind: "interrupted" } });
    service.handle({ type: "query", id: 2, generation, sql: "SELECT 42 AS n", bounds: BOUNDS, statementCheck: true, timeoutMs: 10_000 });
    await answer(2).toMatchObject({ type: "result", result: { rows: [[42]] } });
  });

  it("stops a query over mcp_calls before its 50,000 rows are appended", async () => {
    const { service, generation, answer } = await worker();
    const calls: CallTuple[] = Array.from({ length: 50_000 }, (_, i) => [`c${i}`, Date.now(), "alice", "Alice", "clari_query", "{}", "ok", null, 0, 1]);
    service.handle({ type: "query", id: 1, generation, sql: "SELECT count(*) FROM mcp_calls", bounds: BOUNDS, statementCheck: true, timeoutMs: 60_000, calls });
    service.handle({ type: "interrupt", id: 1 });
    await answer(1).toMatchObject({ type: "error", error: { kind: "interrupted" } });
  });
});
