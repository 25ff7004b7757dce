/**
 * Who runs next: one queue per caller, served in turn, at most `concurrency` tasks at once and
 * at most one per caller, so one caller's slow queries never hold every slot while another
 * waits. A task whose signal aborts while it waits leaves the queue at once.
 */
import { QueryFailed } from "./errors.js";

interface Waiting {
  start(): void;
}

export class FairQueue {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly running = new Map<string, number>();
  private active = 0;

  constructor(private readonly concurrency: number) {}

  /** Runs `task` for `caller` when its turn comes. */
  run<T>(caller: string, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.active++;
          this.running.set(caller, (this.running.get(caller) ?? 0) + 1);
          task()
            .then(resolve, reject)
            .finally(() => {
              this.active--;
              const left = (this.running.get(caller) ?? 1) - 1;
              if (left === 0) this.running.delete(caller);
              else this.running.set(caller, left);
              this.next();
            });
        },
      };
      const onAbort = (): void => {
        const queue = this.queues.get(caller);
        const at = queue?.indexOf(waiting) ?? -1;
        if (queue && at >= 0) {
          queue.splice(at, 1);
          if (queue.length === 0) this.queues.delete(caller);
          reject(new QueryFailed("Stopped: the request was cancelled before the query ran."));
        }
      };
      if (signal?.aborted) return reject(new QueryFailed("Stopped: the request was cancelled before the query ran."));
      signal?.addEventListener("abort", onAbort, { once: true });
      const queue = this.queues.get(caller) ?? [];
      queue.push(waiting);
      this.queues.set(caller, queue);
      this.next();
    });
  }

  /** Starts waiting tasks, callers in turn, while there are free slots. */
  private next(): void {
    while (this.active < this.concurrency) {
      const caller = [...this.queues.keys()].find((c) => !this.running.has(c));
      if (caller === undefined) return;
      const queue = this.queues.get(caller) as Waiting[];
      const waiting = queue.shift() as Waiting;
      // A caller served goes to the back of the turn order.
      this.queues.delete(caller);
      if (queue.length > 0) this.queues.set(caller, queue);
      waiting.start();
    }
  }
}
