/**
 * One lock for a store folder, held across processes (Claude Desktop and Claude Code with the
 * same key share a folder) and within this one. Every decision about the journal and the index
 * is taken under it, after re-reading them, so two processes can never both decide to queue.
 * It is held for file reads and writes only, never across a call to Clari.
 * proper-lockfile does the cross-process part (an atomic mkdir, kept fresh while held, taken
 * over once stale, so a process killed while holding it blocks the others for seconds, not forever),
 * loaded on the first lock taken: it patches fs (graceful-fs), which a start need not wait for.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";

export interface StoreLock {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves once every run asked for so far has ended (the lock is let go): a closing process waits for it. */
  idle(): Promise<void>;
}

/** How long a lock whose holder stopped refreshing it is respected. */
const STALE_MS = 5000;

/** A lock for memory mode and for the in-process half of the folder lock: calls run one at a time. */
export function processLock(): StoreLock {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = chain.then(fn, fn);
      chain = result.catch(() => undefined);
      return result;
    },
    idle: () => chain.then(() => undefined),
  };
}

export function folderLock(dir: string, onCompromised: (error: Error) => void): StoreLock {
  const inProcess = processLock();
  const target = path.join(dir, "store");
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      return inProcess.run(async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const { default: lockfile } = await import("proper-lockfile");
        const release = await lockfile.lock(target, {
          realpath: false,
          lockfilePath: path.join(dir, "store.lock"),
          stale: STALE_MS,
          update: STALE_MS / 4,
          retries: { retries: 400, factor: 1.2, minTimeout: 5, maxTimeout: 50 },
          onCompromised,
        });
        try {
          return await fn();
        } finally {
          await release().catch(() => undefined);
        }
      });
    },
    idle: () => inProcess.idle(),
  };
}
