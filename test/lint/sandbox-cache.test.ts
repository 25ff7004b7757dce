/**
 * `--sandbox` keeps its store in the user's cache folder, like real use. A test that starts it must
 * say where (`--no-cache` or a temporary `--cache-dir`, or a temporary XDG_CACHE_HOME or
 * CLARI_MCP_CACHE_DIR for every process of its file), or it would fill (and read back) the default
 * cache folder of whoever runs the tests. Every line that starts a process on the sandbox (the flag
 * in an argument list, or CLARI_MCP_SANDBOX in its environment) is checked.
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

/** A process started on the sandbox: "--sandbox" as an element of an argument list, or CLARI_MCP_SANDBOX in an environment. */
const STARTS = /\[[^\]]*["']--sandbox["']|CLARI_MCP_SANDBOX["']?\s*:/;
/** Where its store goes: a flag on the line, or an environment variable the file sets for its processes. */
const PLACED = /--no-cache|--cache-dir|CLARI_MCP_CACHE_DIR|XDG_CACHE_HOME/;
const PLACED_IN_FILE = /\b(XDG_CACHE_HOME|CLARI_MCP_CACHE_DIR)\s*:/;
/** An assertion, a config check or a comment names the flag without starting anything. */
const NOT_A_START = /\bexpect\(|\.toContain\(|\.includes\(|loadConfig\(|^\s*(\/\/|\/?\*)/;

/** A file that starts processes at all (the others only build configurations). */
const STARTS_PROCESSES = /\b(spawn|spawnSync|execFile|fork|StdioClientTransport|startHttpServer|startStdioBinary|startServer)\(|new StdioClientTransport\b/;

/** The lines that start a --sandbox process without saying where its store goes. */
export function unplacedSandboxStarts(text: string): number[] {
  if (PLACED_IN_FILE.test(text) || !STARTS_PROCESSES.test(text)) return [];
  const lines: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (STARTS.test(line) && !NOT_A_START.test(line) && !PLACED.test(line)) lines.push(i + 1);
  });
  return lines;
}

describe("tests that start --sandbox stay off the default cache folder", () => {
  it("the check finds a start with no cache flag and passes one with either", () => {
    expect(unplacedSandboxStarts(`spawn(node, [CLI, "--sandbox", "--port", "0"]);`)).toEqual([1]);
    expect(unplacedSandboxStarts(`const base = ["--sandbox", "--transport", "http"];\nloadConfig([...base], env);`)).toEqual([]);
    expect(unplacedSandboxStarts(`spawn(node, [CLI, "--sandbox", "--no-cache"]);\nstart(["--sandbox", "--cache-dir", dir]);`)).toEqual([]);
    expect(unplacedSandboxStarts(`loadConfig(["--sandbox"], env);\nexpect(readme).toContain('args: ["-y", "x", "--sandbox"]');`)).toEqual([]);
    expect(unplacedSandboxStarts(`spawn(node, args, { env: { ...env, CLARI_MCP_SANDBOX: "true" } });`)).toEqual([1]);
    expect(unplacedSandboxStarts(`const env = { XDG_CACHE_HOME: tmp };\nspawn(node, [CLI, "--sandbox"], { env });`)).toEqual([]);
  });

  it("every test file passes --no-cache or --cache-dir with --sandbox", async () => {
    const offenders: string[] = [];
    for (const file of await testFiles(TEST_ROOT)) {
      for (const line of unplacedSandboxStarts(await readFile(file, "utf8"))) offenders.push(`${path.relative(TEST_ROOT, file)}:${line}`);
    }
    expect(offenders).toEqual([]);
  });
});
