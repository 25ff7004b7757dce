/**
 * A --state URL holds the database password. The built binary, started with URLs whose password
 * carries unencoded "@", "/", "?", "#", ":", "%" or spaces (so a URL parser would split it into
 * host, path or fragment), never prints the password, whole or in part, in its start-up error or
 * any log line (debug level), whether the URL comes as --state or CLARI_MCP_STATE_URL. A URL that
 * cannot be read is refused with advice to percent-encode; one that can (the database is simply
 * unreachable: 127.0.0.1:1) is refused by the connection attempt, its password hidden.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, cleanEnv } from "../e2e/binary.js";

/** Each password's pieces are distinctive, so any one of them in the output is a leak. */
const PIECES = ["Zx9kq", "Qw7mv", "Er7pd", "Ty5vb", "Ui3nh", "Op2zc"];

/** The URLs tried: the password joins the pieces with characters that break URL parsing. */
const CASES: Array<{ url: string; refusal: RegExp }> = [
  { url: `postgres://clari:${PIECES.slice(0, 5).join("@")}@127.0.0.1:1/clari`, refusal: /Could not use the state database postgres:\/\/clari:\*\*\*@127\.0\.0\.1:1\/clari/ },
  { url: `postgres://clari:${PIECES[0]}@${PIECES[1]}/${PIECES[2]}#${PIECES[3]}?${PIECES[4]}@db.example:5432/clari`, refusal: /malformed \(postgres:\/\/\*\*\*\): an "@" follows the host part.*percent-encode/ },
  { url: `postgres://clari:${PIECES[0]}/${PIECES[1]}@127.0.0.1:1/clari`, refusal: /malformed \(postgres:\/\/\*\*\*\)/ },
  { url: `postgres://clari:${PIECES[0]}?${PIECES[1]}@127.0.0.1:1/clari`, refusal: /malformed \(postgres:\/\/\*\*\*\)/ },
  { url: `postgres://clari:12#${PIECES[0]}${PIECES[1]}@127.0.0.1:1/clari`, refusal: /malformed \(postgres:\/\/\*\*\*\)/ },
  { url: `postgres://clari:${PIECES[0]}:${PIECES[1]}@127.0.0.1:1/clari`, refusal: /Could not use the state database postgres:\/\/clari:\*\*\*@/ },
  { url: `postgres://clari:${PIECES[0]}%zz${PIECES[1]}@127.0.0.1:1/clari`, refusal: /Could not use the state database postgres:\/\/clari:\*\*\*@/ },
  { url: `postgres://clari:${PIECES[0]} ${PIECES[1]}@127.0.0.1:1/clari`, refusal: /Could not use the state database postgres:\/\/clari:\*\*\*@/ },
  { url: `postgres:clari:${PIECES[0]}@${PIECES[1]}`, refusal: /names no host \(postgres:\/\/\*\*\*\)/ },
  { url: `postgres://clari:${PIECES[0]}/${PIECES[1]}`, refusal: /not a URL \(postgres:\/\/\*\*\*\).*percent-encode/ },
];

/** Runs the binary until it exits (bounded), keeping every byte of stdout and stderr. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "--log-level", "debug", ...args], { env: cleanEnv({ CLARI_API_KEY: "state-url-test-key", ...env }) });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end();
  });
}

describe("a --state URL's password is never printed, however malformed the URL", () => {
  for (const { url, refusal } of CASES) {
    for (const via of ["--state", "CLARI_MCP_STATE_URL"] as const) {
      it(`${JSON.stringify(url.replace(/^postgres:\/*clari:/, ""))} via ${via}`, async () => {
        const { code, output } = await (via === "--state" ? run(["--state", url], {}) : run([], { CLARI_MCP_STATE_URL: url }));
        expect(code, output).not.toBe(0);
        expect(output).toMatch(refusal);
        const leaked = PIECES.filter((piece) => output.toLowerCase().includes(piece.toLowerCase()));
        expect(leaked, output).toEqual([]);
      });
    }
  }
});
