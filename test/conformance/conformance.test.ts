/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, a dev dependency) against the
 * built binary over Streamable HTTP, stateful and stateless. The suite needs Node >= 22: it runs on
 * the Node 24 that `npm ci` installs from the lockfile (the clari-mcp-node24 dev dependency,
 * scripts/node24), never on one downloaded during the test, and it has no skip: a machine without
 * that Node fails here, naming its platform. The server runs on the Node running the tests (20).
 * The binary under test is the product's CLI plus the three tools server-stateless calls by name,
 * bundled by build-fixtures-cli.ts (test only; the shipped binary has no fixtures).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { node24 } from "clari-mcp-node24";
import { startHttpServer } from "../e2e/http-server.js";
import { buildFixturesCli } from "./build-fixtures-cli.js";

const run = promisify(execFile);
const SUITE = path.join(path.dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/conformance/package.json")), "dist", "index.js");
/** Where the suite writes its results/ folder (its working directory), removed afterwards. */
const WORK = mkdtempSync(path.join(tmpdir(), "clari-conformance-"));

const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(WORK, { recursive: true, force: true });
});

let fixturesCli: Promise<string> | undefined;
async function startServer(args: string[]): Promise<string> {
  const server = await startHttpServer(["--sandbox", "--no-cache", ...args], {}, await (fixturesCli ??= buildFixturesCli()));
  servers.push(server);
  return server.url;
}

interface Outcome {
  passed: number;
  total: number;
  failed: number;
  output: string;
}

async function scenario(node: string, url: string, name: string): Promise<Outcome> {
  const { stdout, stderr } = await run(node, [SUITE, "server", "--url", url, "--scenario", name], { cwd: WORK, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
  const output = `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
  const counts = output.match(/Passed: (\d+)\/(\d+), (\d+) failed/);
  if (!counts) throw new Error(`no results from ${name}:\n${output}`);
  return { passed: Number(counts[1]), total: Number(counts[2]), failed: Number(counts[3]), output };
}

/** Both eras' scenarios; the session ones apply only where the server keeps sessions. */
const COMMON = ["server-initialize", "ping", "tools-list", "resources-list", "prompts-list", "dns-rebinding-protection", "sep-2164-resource-not-found", "server-stateless", "caching", "http-header-validation"];
const SESSIONS = ["server-session-lifecycle", "server-sse-multiple-streams"];

describe("MCP conformance suite", () => {
  let node = "";
  beforeAll(() => {
    node = node24();
  });

  for (const [mode, flags, scenarios] of [
    ["stateful", [], [...COMMON, ...SESSIONS]],
    ["stateless", ["--stateless"], COMMON],
  ] as const) {
    it(`passes every check of ${scenarios.length} server scenarios over ${mode} HTTP`, async () => {
      const url = await startServer([...flags]);
      const failures: string[] = [];
      for (const name of scenarios) {
        const outcome = await scenario(node, url, name);
        if (outcome.failed > 0 || outcome.total === 0 || outcome.passed !== outcome.total) failures.push(`${name}: ${outcome.passed}/${outcome.total}\n${outcome.output}`);
      }
      expect(failures).toEqual([]);
    }, 300_000);
  }
});
