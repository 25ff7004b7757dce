/**
 * A real, small disk for full-disk tests: a tmpfs of a few hundred KB mounted on a folder (this
 * needs root, as the machines and CI run; elsewhere it fails saying so, it is never skipped).
 * `fill` writes a filler file until the disk refuses (ENOSPC), `free` removes it.
 */
import { execFile } from "node:child_process";
import { mkdir, open, rm } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface SmallDisk {
  dir: string;
  /** Fill every free byte: a write of one more byte then fails with ENOSPC. */
  fill(): Promise<void>;
  free(): Promise<void>;
  /** Lazily (a process may still hold a file there). */
  unmount(): Promise<void>;
}

const FILLER = ".filler";

export async function smallDisk(dir: string, sizeKb = 1024): Promise<SmallDisk> {
  if (userInfo().uid !== 0) throw new Error(`full-disk tests mount a tmpfs, which needs root (the machines and CI run as root); running as uid ${userInfo().uid}`);
  await mkdir(dir, { recursive: true });
  await run("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k,mode=0700`, "tmpfs", dir]);
  let mounted = true;
  return {
    dir,
    async fill() {
      const handle = await open(path.join(dir, FILLER), "a");
      try {
        for (const size of [64 * 1024, 4096, 1]) {
          const chunk = Buffer.alloc(size, 120);
          for (;;) {
            try {
              await handle.write(chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
              break;
            }
          }
        }
      } finally {
        await handle.close();
      }
    },
    free: () => rm(path.join(dir, FILLER), { force: true }),
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run("umount", ["-l", dir]);
    },
  };
}
