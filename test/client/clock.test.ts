/**
 * Clari's clock, learned from the Date headers of its answers: bounds that always hold the true
 * offset (the header's 1 s resolution and the round trip included), tightened by more answers,
 * reset by a clock that was stepped, and learned by the real client over loopback HTTP.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClariClient } from "../../src/client/clari-client.js";
import { ClariClock } from "../../src/client/clock.js";

/** The Date header a server whose clock is `skew` ms from ours sends at our time `t`. */
const header = (t: number, skew: number): string => new Date(t + skew).toUTCString();

describe("ClariClock", () => {
  it("knows nothing before an answer with a Date header, and ignores answers without one", () => {
    const clock = new ClariClock();
    expect(clock.offset()).toBeUndefined();
    clock.observe(undefined, 1000, 1100);
    clock.observe("not a date", 1000, 1100);
    expect(clock.offset()).toBeUndefined();
  });

  it("bounds always hold the true offset, whatever the skew, the round trip and when the server wrote the header", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.array(fc.record({ rtt: fc.integer({ min: 0, max: 5000 }), at: fc.double({ min: 0, max: 1, noNaN: true }), gap: fc.integer({ min: 0, max: 20_000 }) }), { minLength: 1, maxLength: 10 }),
        (skew, answers) => {
          const clock = new ClariClock();
          let t = 1_800_000_000_000;
          for (const { rtt, at, gap } of answers) {
            t += gap;
            const written = t + Math.floor(at * rtt);
            clock.observe(header(written, skew), t, t + rtt);
          }
          const offset = clock.offset(t)!;
          expect(offset.low).toBeLessThanOrEqual(skew);
          expect(offset.high).toBeGreaterThanOrEqual(skew);
        },
      ),
    );
  });

  it("narrows with more answers to about the header's resolution", () => {
    const clock = new ClariClock();
    const skew = -183_456;
    let t = 1_800_000_000_000;
    for (let i = 0; i < 20; i++, t += 137) clock.observe(header(t, skew), t, t + 2);
    const offset = clock.offset(t)!;
    expect(offset.samples).toBe(20);
    expect(offset.high - offset.low).toBeLessThan(250);
    expect(offset.low).toBeLessThanOrEqual(skew);
    expect(offset.high).toBeGreaterThanOrEqual(skew);
  });

  it("a clock stepped since older answers: the newest answers win", () => {
    const clock = new ClariClock();
    let t = 1_800_000_000_000;
    for (let i = 0; i < 5; i++, t += 500) clock.observe(header(t, 0), t, t + 5);
    for (let i = 0; i < 3; i++, t += 500) clock.observe(header(t, 60_000), t, t + 5);
    const offset = clock.offset(t)!;
    expect(offset.samples).toBe(3);
    expect(offset.low).toBeGreaterThan(58_000);
    expect(offset.high).toBeLessThan(62_000);
  });

  it("answers older than 15 minutes no longer count", () => {
    const clock = new ClariClock();
    const t = 1_800_000_000_000;
    clock.observe(header(t, 5000), t, t + 5);
    expect(clock.offset(t + 60_000)).toBeDefined();
    expect(clock.offset(t + 16 * 60_000)).toBeUndefined();
  });

  it("the client learns it from a real server over loopback, from error answers too", async () => {
    const skew = 7 * 60_000;
    let status = 200;
    const server = createServer((_req, res) => {
      res.sendDate = false;
      res.writeHead(status, { date: header(Date.now(), skew), "content-type": "application/json" });
      res.end(status === 200 ? JSON.stringify({ jobs: [] }) : JSON.stringify({ code: "forbidden", message: "no" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new ClariClient({ v4BaseUrl: `${base}/v4`, v2BaseUrl: `${base}/v2`, apiKey: "k-test", retry: { maxRetries: 0 } });
    try {
      expect(client.clock.offset()).toBeUndefined();
      status = 403;
      await expect(client.listExportJobs()).rejects.toThrow();
      const first = client.clock.offset()!;
      expect(first.low).toBeLessThanOrEqual(skew);
      expect(first.high).toBeGreaterThanOrEqual(skew);
      status = 200;
      await client.listExportJobs();
      const second = client.clock.offset()!;
      expect(second.samples).toBe(2);
      expect(second.low).toBeLessThanOrEqual(skew);
      expect(second.high).toBeGreaterThanOrEqual(skew);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
