/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, a dev dependency) against the
 * built binary over Streamable HTTP, stateful and stateless. The suite needs Node >= 22: it runs on
 * the Node 24 that `npm ci` installs from the lockfile (the clari-mcp-node24 dev dependency,
 * scripts/node24), never on one downloaded during the test, and it has no skip: a machine without
 * that Node fails here, naming its platform. The server runs on the Node running the tests (20).
 * The binary under test is the product's CLI plus the fixture tools the scenarios call by name
 * (fixtures.ts: server-stateless's three, and the Tasks scenarios' greet, slow_compute and
 * failing_job, which are our own job tools on sandbox jobs underneath), bundled by
 * build-fixtures-cli.ts (test only; the shipped binary has no fixtures).
 *
 * Every server scenario of the suite (0.2.0-alpha.12, `list`) that applies to this server runs;
 * those that do not apply, and why:
 * - tools-call-* (simple-text, image, audio, embedded-resource, mixed-content, with-logging,
 *   error, with-progress, sampling, elicitation), resources-read-text/-binary,
 *   resources-templates-read, prompts-get-*, completion-complete, json-schema-2020-12 and
 *   elicitation-sep1034-defaults / sep1330-enums: each calls a fixture of the suite's reference
 *   server by name (test_simple_text, test://static-text, test_simple_prompt, ...), content kinds
 *   and prompts this server does not have; its own tools, resources and prompts are checked by
 *   test/tools, test/protocol and the schema snapshots;
 * - logging-set-level, resources-subscribe/-unsubscribe: the server declares neither logging nor
 *   resource subscriptions (it logs to stderr; clients learn of new exports by list_changed);
 * - server-sse-polling: needs an event store for SSE resumption, which the server does not keep
 *   (the suite itself reports 0 checks);
 * - input-required-result-* other than the three below, tasks-mrtr-input, tasks-mrtr-composition:
 *   no tool or task of this server ever asks the client for input (multi-round-trip requests);
 * - tasks-required-task-error: no tool requires a task (every job tool falls back to its bounded
 *   wait for a client without the extension);
 * - tasks-status-notifications: the suite skips it (0 checks) pending subscriptions/listen;
 * - http-custom-header-server-validation: no tool declares x-mcp-header parameters;
 * - sep-2640-skills-*: the server serves no skills.
 * One check of an applying scenario does not apply either (NOT_APPLICABLE below).
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
  const server = await startHttpServer(["--sandbox", "--no-cache", "--sandbox-job-ms", "1500", ...args], {}, await (fixturesCli ??= buildFixturesCli()));
  servers.push(server);
  return server.url;
}

interface Outcome {
  passed: number;
  total: number;
  failed: number;
  /** The ids of the checks that failed. */
  failures: string[];
  output: string;
}

async function scenario(node: string, url: string, name: string): Promise<Outcome> {
  const { stdout, stderr } = await run(node, [SUITE, "server", "--url", url, "--scenario", name], { cwd: WORK, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
  const output = `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
  const counts = output.match(/Passed: (\d+)\/(\d+), (\d+) failed/);
  if (!counts) throw new Error(`no results from ${name}:\n${output}`);
  const failures = [...output.matchAll(/\[([a-z0-9-]+)\s*\] FAILURE/g)].map((m) => m[1]!);
  return { passed: Number(counts[1]), total: Number(counts[2]), failed: Number(counts[3]), failures, output };
}

/** Both eras' scenarios; the session ones apply only where the server keeps sessions. */
const COMMON = [
  "server-initialize",
  "ping",
  "tools-list",
  "resources-list",
  "prompts-list",
  "dns-rebinding-protection",
  "sep-2164-resource-not-found",
  "server-stateless",
  "caching",
  "http-header-validation",
  "input-required-result-unsupported-methods",
  "input-required-result-validate-input",
  "input-required-result-ignore-extra-params",
  // The Tasks extension (Clari jobs as tasks).
  "tasks-capability-negotiation",
  "tasks-lifecycle",
  "tasks-wire-fields",
  "tasks-request-state-removal",
  "tasks-request-headers",
  "tasks-dispatch-and-envelope",
];
const SESSIONS = ["server-session-lifecycle", "server-sse-multiple-streams"];

/**
 * Checks of applying scenarios that do not apply, by scenario. sep-2663-tasks-get-status-failed
 * needs a tool that fails at the protocol level inside a task (protocol_error_job); every failure
 * of a Clari job is a tool error (completed, isError), which tasks-lifecycle checks separately.
 */
const NOT_APPLICABLE: Record<string, string[]> = { "tasks-lifecycle": ["sep-2663-tasks-get-status-failed"] };

describe("MCP conformance suite", () => {
  let node = "";
  beforeAll(() => {
    node = node24();
  });

  for (const [mode, flags, scenarios] of [
    ["stateful", [], [...COMMON, ...SESSIONS]],
    ["stateless", ["--stateless"], COMMON],
  ] as const) {
    it(`passes every check that applies of ${scenarios.length} server scenarios over ${mode} HTTP`, async () => {
      const url = await startServer([...flags]);
      const failures: string[] = [];
      for (const name of scenarios) {
        const outcome = await scenario(node, url, name);
        const allowed = NOT_APPLICABLE[name] ?? [];
        const unexpected = outcome.failures.filter((id) => !allowed.includes(id));
        if (unexpected.length > 0 || outcome.total === 0 || outcome.passed + outcome.failures.length !== outcome.total || outcome.failed !== outcome.failures.length) {
          failures.push(`${name}: ${outcome.passed}/${outcome.total}, failed ${outcome.failures.join(", ")}\n${outcome.output}`);
        }
      }
      expect(failures).toEqual([]);
    }, 420_000);
  }
});
