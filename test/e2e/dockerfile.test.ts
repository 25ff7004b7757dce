/**
 * The Docker image builds from a clean clone: `npm run build` succeeds in a folder holding
 * exactly what the Dockerfile's build stage copies (node_modules stands in for its `npm ci`,
 * installed from the same lockfile). Docker itself is not needed for this check.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const run = promisify(execFile);

/** The sources of every COPY in the build stage (up to the second FROM), `--from` copies excluded. */
async function buildStageCopies(): Promise<string[]> {
  const lines = (await readFile(path.join(root, "Dockerfile"), "utf8")).split("\n");
  const froms = lines.flatMap((l, i) => (/^FROM\b/i.test(l) ? [i] : []));
  const stage = lines.slice(froms[0], froms[1]);
  return stage
    .filter((l) => /^COPY\s/i.test(l) && !/--from/i.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
}

describe("the Dockerfile", () => {
  it("copies everything `npm run build` needs", async () => {
    const copies = await buildStageCopies();
    expect(copies).toContain("package-lock.json");
    const dir = await mkdtemp(path.join(tmpdir(), "clari-docker-"));
    try {
      for (const source of copies) await cp(path.join(root, source), path.join(dir, source), { recursive: true });
      await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
      await run("npm", ["run", "build", "--silent"], { cwd: dir, timeout: 120_000 });
      expect((await stat(path.join(dir, "dist", "cli.js"))).isFile()).toBe(true);
      expect((await stat(path.join(dir, "dist", "tools", "listing.json"))).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
