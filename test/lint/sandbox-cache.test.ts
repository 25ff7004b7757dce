/**
 * `--sandbox` keeps its store in the user's cache folder, like real use. A test that starts it must
 * say where (`--no-cache` or a temporary `--cache-dir`), or it would fill (and read back) the
 * default cache folder of whoever runs the tests. Every line of a test that passes "--sandbox" to a
 * process is checked; `loadConfig(...)` alone starts nothing and is left out.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const TEST_ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await testFiles(full)));
    else if (/\.(ts|mts|mjs)$/.test(entry.name) && full !== SELF) out.push(full);
  }
  return out;
}

/** The lines that start a --sandbox process without saying where its store goes. */
export function unplacedSandboxStarts(text: string): number[] {
  const lines: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (!/["']--sandbox["']/.test(line) || /loadConfig\(/.test(line)) return;
    if (!/--no-cache|--cache-dir/.test(line)) lines.push(i + 1);
  });
  return lines;
}

describe("tests that start --sandbox stay off the default cache folder", () => {
  it("the check finds a start with no cache flag and passes one with either", () => {
    expect(unplacedSandboxStarts(`spawn(node, [CLI, "--sandbox", "--port", "0"]);`)).toEqual([1]);
    expect(unplacedSandboxStarts(`spawn(node, [CLI, "--sandbox", "--no-cache"]);\nstart(["--sandbox", "--cache-dir", dir]);`)).toEqual([]);
    expect(unplacedSandboxStarts(`loadConfig(["--sandbox"], env);`)).toEqual([]);
  });

  it("every test file passes --no-cache or --cache-dir with --sandbox", async () => {
    const offenders: string[] = [];
    for (const file of await testFiles(TEST_ROOT)) {
      for (const line of unplacedSandboxStarts(await readFile(file, "utf8"))) offenders.push(`${path.relative(TEST_ROOT, file)}:${line}`);
    }
    expect(offenders).toEqual([]);
  });
});
