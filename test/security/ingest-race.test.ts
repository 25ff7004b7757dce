/**
 * readIngestFile (clari_ingest_bulk's filePath) reads only files inside --ingest-dir, and cannot be
 * raced out of it: a child process keeps swapping a folder inside the ingest folder between a real
 * folder and a symlink to an outside folder while the reads run; no read may return the outside
 * content, neither called directly nor through the MCP tool.
 *
 * The direct cases run three times: with this machine's checks, and with the checks macOS and
 * Windows get (the platform passed in): no /proc/self/fd on either, no O_NOFOLLOW on Windows. There
 * a file directly in the folder is checked by the dev/inode of its one name (the file itself swapped
 * for a symlink to an outside file, the race O_NOFOLLOW would otherwise stop at the open, is raced
 * too), and a file in a sub-folder is refused, saying why: the walk alone lost that race here.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { lstat, mkdir, rename, rm, symlink, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BigIntStats } from "node:fs";
import { checkInside, readIngestFile } from "../../src/tools/kit/read-ingest-file.js";
import { startHarness, tempDir, textOf } from "../helpers/harness.js";

const SECRET = "TOP-SECRET-OUTSIDE-CONTENT";
const insideData = JSON.stringify([{ sourceEntity: "Account", records: [{ id: "INSIDE-1", createdAt: 1, updatedAt: 2 }] }]);
// Two records, so the sandbox's record count would also show an outside upload.
const outsideData = JSON.stringify([
  { sourceEntity: SECRET, records: [{ id: SECRET, createdAt: 1, updatedAt: 2 }, { id: `${SECRET}-2`, createdAt: 1, updatedAt: 2 }] },
]);
const REFUSED = /outside the ingest folder|not found|not a file|10 MB|sub-folder/;
const posix = process.platform !== "win32";
/** This machine's checks, and those of the platforms without /proc (macOS) or O_NOFOLLOW (Windows). */
const PLATFORMS = [...new Set([process.platform, "darwin", "win32"] as NodeJS.Platform[])];
/** Where the kernel's path of an open file is read (/proc/self/fd): sub-folders can be read there. */
const withProc = (platform: NodeJS.Platform) => platform === "linux" && process.platform === "linux";
const NESTED = /is in a sub-folder of the ingest folder, and on this system \(no \/proc\) only files directly in the ingest folder can be uploaded/;

let tmp: { dir: string; remove(): Promise<void> };
let root: string; // the ingest folder
let outside: string;

beforeAll(async () => {
  tmp = await tempDir("clari-mcp-ingest-race-");
  root = path.join(tmp.dir, "inside");
  outside = path.join(tmp.dir, "outside");
  await mkdir(path.join(root, "sub"), { recursive: true });
  await mkdir(path.join(root, "plain"));
  await mkdir(outside);
  await writeFile(path.join(root, "good.json"), insideData);
  await writeFile(path.join(root, "swap.json"), insideData);
  await writeFile(path.join(root, "plain", "inner.json"), insideData);
  await writeFile(path.join(root, "sub", "data.json"), insideData);
  await writeFile(path.join(outside, "data.json"), outsideData);
  await writeFile(path.join(tmp.dir, "secret.json"), outsideData);
  await symlink(path.join(tmp.dir, "secret.json"), path.join(root, "link-out.json"));
  await symlink("../secret.json", path.join(root, "rel-link-out.json"));
  await symlink(outside, path.join(root, "linkdir"));
  await symlink(path.join(root, "good.json"), path.join(root, "link-in.json"));
  await symlink(path.join(root, "plain"), path.join(root, "linkdir-in"));
  await writeFile(path.join(root, "big.json"), "");
  await truncate(path.join(root, "big.json"), 10 * 1024 * 1024 + 1);
  await writeFile(path.join(root, "max.json"), "");
  await truncate(path.join(root, "max.json"), 10 * 1024 * 1024);
  if (posix) {
    execFileSync("mkfifo", [path.join(root, "fifo.json")]);
    await symlink("/dev/zero", path.join(root, "zero.json"));
  }
});
afterAll(async () => {
  await tmp?.remove();
});

const readOn = (dir: string | undefined, filePath: string, platform: NodeJS.Platform) => readIngestFile(dir, filePath, platform);
async function refusalOn(filePath: string, dir: string | undefined = root, platform: NodeJS.Platform = process.platform): Promise<string> {
  const error = await readIngestFile(dir, filePath, platform).then(
    (read) => new Error(`${filePath} was read (${read.content.length} bytes)`),
    (e: unknown) => e,
  );
  expect(error, filePath).toMatchObject({ name: "ToolInputError" });
  return (error as Error).message;
}

describe.each(PLATFORMS)("readIngestFile with %s's checks refuses", (platform) => {
  const refusal = (filePath: string, dir: string | undefined = root) => refusalOn(filePath, dir, platform);
  const readIngestFile = (dir: string | undefined, filePath: string) => readOn(dir, filePath, platform);
  it("every path when no ingest folder is configured", async () => {
    for (const dir of [undefined, ""]) {
      await expect(readIngestFile(dir, "good.json")).rejects.toMatchObject({ name: "ToolInputError", message: expect.stringMatching(/^Reading files is disabled: start the server with --ingest-dir DIR/) });
    }
  });

  it("absolute paths and .. that leave the folder", async () => {
    for (const filePath of ["../secret.json", "sub/../../secret.json", "../outside/data.json", path.join(tmp.dir, "secret.json"), path.join(outside, "data.json"), "/etc/passwd"]) {
      expect(await refusal(filePath)).toBe(`${filePath} is outside the ingest folder; only files under it can be uploaded.`);
    }
  });

  it("a sibling folder whose name starts with the folder's name", async () => {
    await mkdir(`${root}-evil`, { recursive: true });
    await writeFile(path.join(`${root}-evil`, "x.json"), outsideData);
    expect(await refusal("../inside-evil/x.json")).toMatch(/outside the ingest folder/);
    expect(await refusal(path.join(`${root}-evil`, "x.json"))).toMatch(/outside the ingest folder/);
  });

  it("a symlink out of the folder as the last component (absolute or relative target)", async () => {
    for (const filePath of ["link-out.json", "rel-link-out.json"]) expect(await refusal(filePath)).toMatch(/outside the ingest folder/);
  });

  it("a symlink out of the folder as an intermediate component", async () => {
    expect(await refusal("linkdir/data.json")).toMatch(/outside the ingest folder/);
  });

  it("missing files", async () => {
    expect(await refusal("missing.json")).toBe("File not found in the ingest folder: missing.json");
    expect(await refusal("good.json\u0000../../secret.json")).toMatch(/not found/);
  });

  it("directories", async () => {
    for (const filePath of [".", "sub", "linkdir-in", root]) expect(await refusal(filePath)).toBe(`${filePath} is not a file.`);
  });

  it.runIf(posix)("FIFOs, without hanging", async () => {
    const started = Date.now();
    expect(await refusal("fifo.json")).toBe("fifo.json is not a file.");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.runIf(posix)("devices: in the folder, or through a symlink out of it", async () => {
    expect(await refusal("zero", "/dev")).toBe("zero is not a file.");
    expect(await refusal("null", "/dev")).toBe("null is not a file.");
    expect(await refusal("zero.json")).toMatch(/outside the ingest folder/);
  });

  it("files over 10 MB (exactly 10 MB is allowed)", async () => {
    expect(await refusal("big.json")).toBe("big.json is 10485761 bytes; Clari accepts at most 10 MB per bulk upload. Split it into batches.");
    expect((await readIngestFile(root, "max.json")).content.length).toBe(10 * 1024 * 1024);
  });
});

describe.each(PLATFORMS)("readIngestFile with %s's checks reads", (platform) => {
  const refusal = (filePath: string, dir: string | undefined = root) => refusalOn(filePath, dir, platform);
  const readIngestFile = (dir: string | undefined, filePath: string) => readOn(dir, filePath, platform);
  it("files inside the folder: directly, in a sub-folder, via .., through inside symlinks, by absolute path", async () => {
    const cases: Array<[string, string, boolean]> = [
      ["good.json", "good.json", false],
      ["sub/data.json", "data.json", true],
      ["./plain/../good.json", "good.json", false],
      ["link-in.json", "link-in.json", false],
      ["linkdir-in/inner.json", "inner.json", true],
      [path.join(root, "good.json"), "good.json", false],
    ];
    for (const [filePath, fileName, inSubFolder] of cases) {
      if (inSubFolder && !withProc(platform)) {
        expect(await refusal(filePath), filePath).toMatch(NESTED);
        continue;
      }
      const read = await readIngestFile(root, filePath);
      expect(read.content.toString(), filePath).toBe(insideData);
      expect(read.fileName).toBe(fileName);
    }
  });

  it.runIf(!withProc(platform))("no file in a sub-folder, saying why (the documented refusal without /proc)", async () => {
    expect(await refusal("sub/data.json")).toBe(
      "sub/data.json is in a sub-folder of the ingest folder, and on this system (no /proc) only files directly in the ingest folder can be uploaded: a sub-folder swapped for a link during the read could not be detected. Move the file into the ingest folder itself, or pass the records inline.",
    );
  });

  it("through a configured folder that is itself reached by a symlink", async () => {
    const alias = path.join(tmp.dir, `alias-${platform}`);
    await symlink(root, alias);
    expect((await readIngestFile(alias, "good.json")).content.toString()).toBe(insideData);
    if (withProc(platform)) expect((await readIngestFile(alias, "sub/data.json")).content.toString()).toBe(insideData);
    expect(await refusal("linkdir/data.json", alias)).toMatch(/outside the ingest folder/);
  });
});

/**
 * A child process that swaps `sub` (default <root>/sub) between the real entry and a symlink to
 * `to` (default the outside folder) in a tight loop, holding each for 0.2 ms (which widens the
 * window a check-then-read-by-name reader leaks through), until stopped (or 60 s at most). stop()
 * kills it and puts the real entry back.
 */
async function startSwapper(sub = path.join(root, "sub"), to = outside): Promise<{ stop(): Promise<void> }> {
  const parked = `${sub}.real`;
  const script = `
    const fs = require("node:fs");
    const [sub, parked, outside] = process.argv.slice(1);
    const until = Date.now() + 60000;
    const hold = () => { const end = process.hrtime.bigint() + 200000n; while (process.hrtime.bigint() < end); };
    let swaps = 0;
    while (Date.now() < until) {
      fs.renameSync(sub, parked);
      fs.symlinkSync(outside, sub);
      hold();
      fs.unlinkSync(sub);
      fs.renameSync(parked, sub);
      hold();
      if (++swaps === 1) process.stdout.write("ready\\n");
    }
  `;
  const child: ChildProcess = spawn(process.execPath, ["-e", script, sub, parked, to], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => (out += chunk));
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`swapper exited early (${code})`)));
    child.stdout!.on("data", () => out.includes("ready") && resolve());
  });
  return {
    async stop() {
      const exited = child.exitCode === null ? once(child, "exit") : Promise.resolve();
      child.kill("SIGKILL");
      await exited;
      // Put the real folder back, whichever step the loop was killed in.
      const subNow = await lstat(sub).catch(() => undefined);
      if (subNow?.isSymbolicLink()) await rm(sub);
      if (await lstat(parked).catch(() => undefined)) await rename(parked, sub);
    },
  };
}

/** `reads` direct reads of `filePath` while the swapper runs: how many got the inside content, the outside one, or a refusal. */
async function race(filePath: string, platform: NodeJS.Platform, swapper: { stop(): Promise<void> }, reads = 1000) {
  const counts = { inside: 0, outside: 0, refused: 0 };
  const reasons: Record<string, number> = {};
  const started = Date.now();
  try {
    for (let i = 0; i < reads && Date.now() - started < 20_000; i++) {
      try {
        const { content } = await readIngestFile(root, filePath, platform);
        const text = content.toString();
        if (text.includes(SECRET)) counts.outside++;
        else if (text === insideData) counts.inside++;
        else throw new Error(`unexpected content: ${text.slice(0, 80)}`);
      } catch (error) {
        const message = (error as Error).message;
        expect(message).toMatch(REFUSED);
        counts.refused++;
        const reason = REFUSED.exec(message)![0];
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
    }
  } finally {
    await swapper.stop();
  }
  console.log(`direct race on ${filePath} with ${platform}'s checks: ${JSON.stringify(counts)} (refused: ${JSON.stringify(reasons)}) in ${Date.now() - started} ms`);
  return counts;
}

describe.each(PLATFORMS)("with %s's checks, the read cannot be raced out of the folder", (platform) => {
  it("1,000 direct reads while sub/ is swapped for a symlink to an outside folder: none returns the outside content", async () => {
    const counts = await race("sub/data.json", platform, await startSwapper());
    expect(counts.inside + counts.outside + counts.refused).toBe(1000);
    expect(counts.outside).toBe(0);
    // The swapper really ran during the reads: some were refused, and the folder is intact after.
    expect(counts.refused).toBeGreaterThan(0);
    if (withProc(platform)) expect((await readIngestFile(root, "sub/data.json", platform)).content.toString()).toBe(insideData);
    else expect(counts.inside).toBe(0); // every sub-folder read refused
  }, 60_000);

  it("1,000 direct reads while a file in the folder is swapped for a symlink to an outside file: none returns the outside content", async () => {
    const counts = await race("swap.json", platform, await startSwapper(path.join(root, "swap.json"), path.join(outside, "data.json")));
    expect(counts.inside + counts.outside + counts.refused).toBe(1000);
    expect(counts.outside).toBe(0);
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.inside).toBeGreaterThan(0);
    expect((await readIngestFile(root, "swap.json", platform)).content.toString()).toBe(insideData);
  }, 60_000);
});

describe("a file system that gives files no identity", () => {
  it("is refused, saying why, whatever the platform: the walk cannot tell which file was opened", async () => {
    const opened = { dev: 0n, ino: 0n, isFile: () => true } as unknown as BigIntStats;
    for (const platform of PLATFORMS) {
      await expect(checkInside(-1, opened, root, ["good.json"], "good.json", platform)).rejects.toMatchObject({
        name: "ToolInputError",
        message: expect.stringMatching(/^good\.json cannot be checked: the ingest folder's file system gives files no identity \(inode\)/),
      });
    }
  });
});

describe("the read cannot be raced out of the folder through the tool", () => {
  it("100 clari_ingest_bulk calls under the same race: the sandbox never receives the outside content", async () => {
    const h = await startHarness({ flags: ["--ingest-dir", root, "--wait-seconds", "0"], sandbox: { jobDurationMs: 0, rateLimitPerSecond: 100_000 } });
    try {
      const sent = vi.spyOn(h.clari, "ingestBulk");
      const counts = { uploaded: 0, refused: 0, leaked: 0 };
      const swapper = await startSwapper();
      const started = Date.now();
      try {
        for (let i = 0; i < 100 && Date.now() - started < 30_000; i++) {
          const result = await h.client.callTool({ name: "clari_ingest_bulk", arguments: { entity: "account", filePath: "sub/data.json", waitSeconds: 0 } });
          const text = textOf(result);
          if (text.includes(SECRET)) counts.leaked++;
          if (result.isError) {
            expect(text).toMatch(REFUSED);
            counts.refused++;
          } else counts.uploaded++;
        }
      } finally {
        await swapper.stop();
      }
      const bodies = sent.mock.calls.map(([, file]) => (typeof file.content === "string" ? file.content : Buffer.from(file.content).toString()));
      const stats = h.sandbox.stats();
      console.log(`tool race: ${JSON.stringify(counts)}; sandbox: ${stats.ingestJobsCreated} bulk jobs, ${stats.ingestedRecords} records, in ${Date.now() - started} ms`);
      expect(counts.uploaded + counts.refused).toBe(100);
      expect(counts.leaked).toBe(0);
      expect(bodies).toHaveLength(counts.uploaded);
      expect(bodies.filter((b) => b.includes(SECRET))).toHaveLength(0);
      expect(bodies.every((b) => b === insideData)).toBe(true);
      // Each inside upload holds one record, the outside file two: the sandbox got only inside ones.
      expect(stats.ingestJobsCreated).toBe(counts.uploaded);
      expect(stats.ingestedRecords).toBe(counts.uploaded);
    } finally {
      await h.close();
    }
  }, 90_000);
});
