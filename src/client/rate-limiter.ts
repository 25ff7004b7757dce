/**
 * A client-side rate limiter (Clari documents 100 requests/s per token): at most `perSecond`
 * requests start in any rolling window of slightly over a second (WINDOW_MS), so bursts wait here
 * instead of drawing 429s. Waiters are served in order; an aborted waiter leaves the queue.
 */
interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

// Slightly over a second: arrival jitter must not squeeze two of our windows into one of the server's.
const WINDOW_MS = 1050;

export class RateLimiter {
  /** Start times of the most recent requests, oldest first (at most perSecond of them). */
  private readonly starts: number[] = [];
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when a request may be sent; rejects with the signal's reason if aborted first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (!this.limited) return;
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.tryTake()) return;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private get limited(): boolean {
    return Number.isFinite(this.perSecond) && this.perSecond > 0;
  }

  private tryTake(): boolean {
    const now = this.now();
    while (this.starts.length > 0 && now - this.starts[0]! >= WINDOW_MS) this.starts.shift();
    if (this.starts.length >= this.perSecond) return false;
    this.starts.push(now);
    return true;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const now = this.now();
    const windowFrees = this.starts.length >= this.perSecond ? (this.starts[0] ?? now) + WINDOW_MS : now;
    const waitMs = Math.max(1, windowFrees - now);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiters.length > 0 && this.tryTake()) {
        const waiter = this.waiters.shift()!;
        if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.resolve();
      }
      this.schedule();
    }, waitMs);
  }
}
