/**
 * README's first command, `npm run demo`: the script starts the built server on the sandbox and
 * asks it what an assistant would. It must run to the end, every step answered, and its answers
 * must agree with each other: the people step 4 lists as not updated are the ones the export's
 * summary counts (both the hygiene week), and asking the same export again spends no quota.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cleanEnv } from "./binary.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("npm run demo", () => {
  it("runs every step on the sandbox, its hygiene list agreeing with the export's summary", async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["scripts/demo.mjs"], { cwd: root, env: cleanEnv(), timeout: 90_000 });
    expect(stderr).toBe("");
    for (let n = 1; n <= 6; n++) expect(stdout).toMatch(new RegExp(`^${n}\\. `, "m"));
    expect(stdout).toMatch(/\n {3}18 tools, \d+ bytes of catalogue/);
    expect(stdout).toMatch(/Forecast export \w+ is DONE/);
    // Early in a week the hygiene week is the one before ("in week 10 (from ...)"), later it is the latest.
    const summary = /Update hygiene: (\d+) of (\d+) people have not updated their Commit call in (?:week \d+ \(from|the latest week)/.exec(stdout);
    expect(summary).not.toBeNull();
    const listed = /^4\. .*\n {3}(\d+) people: /m.exec(stdout);
    expect(listed?.[1]).toBe(summary?.[1]);
    expect(Number(summary?.[1])).toBeGreaterThan(0);
    // Step 3's table: ten managers, each with a commit and a quota.
    const managerRows = stdout.split("\n").filter((line) => /^ {3}\| [A-Z][a-z]+ [A-Z][a-z]+ \| (CRO|VP Sales|Manager)/.test(line));
    expect(managerRows).toHaveLength(10);
    expect(stdout).toMatch(/reused from the store .*no quota spent/);
    expect(stdout).toMatch(/\nDone in [\d.]+s\./);
  }, 120_000);
});
