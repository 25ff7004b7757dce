/**
 * Clari's clock as seen from here. Job times (a job's startTime) are Clari's; the moments this
 * server records (an intent before a queue POST) are its own; the two machines' clocks may be
 * minutes apart. Every answer's HTTP `Date` header says what time it was at Clari, to the second:
 * a header D read at our time t1, for a request sent at t0, means Clari's clock showed a time in
 * [D, D + 1 s) at some moment of [t0, t1], so Clari's clock minus ours lies in
 * [D - t1, D + 1000 - t0]. Recent samples are intersected, newest first, stopping at one that
 * disagrees (a clock was stepped since); the bounds are only ever this wide, never a guess.
 */

export interface ClockOffset {
  /** Clari's clock minus ours, at least this (ms)... */
  low: number;
  /** ...and at most this (ms). */
  high: number;
  /** How many answers' Date headers the bounds rest on. */
  samples: number;
}

/** The Date header's resolution. */
const DATE_RESOLUTION_MS = 1000;
/** Samples kept, and how long one counts (a clock drifts or is stepped; old samples are let go). */
const MAX_SAMPLES = 32;
const SAMPLE_LIFETIME_MS = 15 * 60_000;

interface Sample {
  low: number;
  high: number;
  at: number;
}

export class ClariClock {
  private samples: Sample[] = [];

  /** Learn from one answer: its Date header, when its request was sent and when its headers came (our epoch ms). */
  observe(dateHeader: string | string[] | undefined, sentAt: number, receivedAt: number): void {
    const text = Array.isArray(dateHeader) ? dateHeader[0] : dateHeader;
    if (!text) return;
    const date = Date.parse(text);
    if (!Number.isFinite(date) || receivedAt < sentAt) return;
    this.samples.push({ low: date - receivedAt, high: date + DATE_RESOLUTION_MS - sentAt, at: receivedAt });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** The bounds on Clari's clock minus ours, or undefined when no answer has carried a Date header lately. */
  offset(now = Date.now()): ClockOffset | undefined {
    let bounds: ClockOffset | undefined;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i]!;
      if (now - sample.at > SAMPLE_LIFETIME_MS) break;
      if (!bounds) {
        bounds = { low: sample.low, high: sample.high, samples: 1 };
        continue;
      }
      const low = Math.max(bounds.low, sample.low);
      const high = Math.min(bounds.high, sample.high);
      if (low > high) break; // an older sample from before a clock was stepped
      bounds = { low, high, samples: bounds.samples + 1 };
    }
    return bounds;
  }
}
