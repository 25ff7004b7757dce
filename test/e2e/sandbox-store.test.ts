/**
 * `clari-mcp --sandbox` keeps its store in the cache folder, like real use, under a key made of the
 * sandbox's seed, org size and data version (never its port): the built binary, started again on the
 * same folder, finds its exports and reuses them; a job left running when the process stopped ends
 * cleanly (its sandbox is gone with it, so the request simply queues again, and a wait on the old
 * jobId says Clari no longer knows it); no journal record is kept for sandbox jobs; another org size
 * is another store; and an empty store answers with the exact call that fills it.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { sandboxFolder } from "../../src/deps.js";
import { tempDir, textOf } from "../helpers/harness.js";
import { CLI, cleanEnv } from "./binary.js";

interface Run {
  call(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: Record<string, unknown> }>;
  close(): Promise<void>;
}

async function start(args: string[]): Promise<Run> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: cleanEnv(), stderr: "ignore" });
  const client = new Client({ name: "e2e-sandbox-store", version: "1.0.0" });
  await client.connect(transport);
  return {
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      return { isError: result.isError === true, text: textOf(result), structured: (result.structuredContent ?? {}) as Record<string, unknown> };
    },
    close: () => client.close(),
  };
}

describe("the --sandbox store across restarts", () => {
  let folder: { dir: string; remove(): Promise<void> };
  let stored = "";
  let leftRunning = "";

  beforeAll(async () => {
    folder = await tempDir("clari-mcp-sandbox-store-");
  });
  afterAll(() => folder?.remove());

  it("an empty store says so, with the exact export call to make", async () => {
    const run = await start(["--sandbox", "--cache-dir", folder.dir, "--sandbox-job-ms", "300"]);
    try {
      const answer = await run.call("clari_query", { sql: "SELECT count(*) AS not_updated FROM forecast WHERE is_latest_week AND NOT updated" });
      expect(answer.isError).toBe(false);
      expect(answer.text).toContain('Nothing stored to answer from: no forecast export yet. Store it first with clari_export_forecast {"forecastId":"net_bookings"}');
      const exported = await run.call("clari_export_forecast", { forecastId: "net_bookings", waitSeconds: 30 });
      expect(exported.structured.outcome, exported.text).toBe("done");
      stored = String(exported.structured.jobId);
      const again = await run.call("clari_query", { sql: "SELECT count(*) AS rows FROM forecast" });
      expect(again.text).not.toContain("Nothing stored");
    } finally {
      await run.close();
    }
  });

  it("a job still running when the process stops is left behind cleanly", async () => {
    const run = await start(["--sandbox", "--cache-dir", folder.dir, "--sandbox-job-ms", "600000"]);
    try {
      const running = await run.call("clari_export_forecast", { forecastId: "renewals", waitSeconds: 0 });
      expect(running.structured.outcome, running.text).toBe("running");
      leftRunning = String(running.structured.jobId);
    } finally {
      await run.close();
    }
    // Kept under the sandbox's own key, with no journal record of the sandbox's job.
    expect(await readdir(folder.dir)).toEqual([sandboxFolder(40)]);
    const journal = await readdir(path.join(folder.dir, sandboxFolder(40), "journal")).catch(() => []);
    expect(journal).toEqual([]);
  });

  it("started again, it finds the stored export, reuses it, and asks anew for the job its old sandbox took with it", async () => {
    const run = await start(["--sandbox", "--cache-dir", folder.dir, "--sandbox-job-ms", "300"]);
    try {
      const count = await run.call("clari_query", { sql: `SELECT count(*) AS n FROM forecast WHERE export_id = '${stored}'` });
      expect(Number((count.structured.rows as unknown[][])[0]![0])).toBeGreaterThan(0);
      const reused = await run.call("clari_export_forecast", { forecastId: "net_bookings", waitSeconds: 30 });
      expect([reused.structured.outcome, reused.structured.jobId]).toEqual(["reused", stored]);

      const asked = await run.call("clari_export_forecast", { forecastId: "renewals", waitSeconds: 30 });
      expect(asked.structured.outcome, asked.text).toBe("done");
      expect([stored, leftRunning]).not.toContain(asked.structured.jobId);
      const old = await run.call("clari_wait_for_job", { jobId: leftRunning, waitSeconds: 10 });
      expect(old.isError).toBe(true);
      expect(old.text).toMatch(/no longer knows export job/);
      const tabs = await run.call("clari_get_limits", {});
      expect(tabs.text).toMatch(/Forecast tabs known: renewals, net_bookings, net_arr\./);
    } finally {
      await run.close();
    }
  });

  it("another org size is another store, and --no-cache writes nothing", async () => {
    const bigger = await start(["--sandbox", "--cache-dir", folder.dir, "--sandbox-users", "41"]);
    try {
      const answer = await bigger.call("clari_query", { sql: "SELECT count(*) FROM people" });
      expect(answer.text).toContain("Nothing stored to answer from: no forecast export yet.");
    } finally {
      await bigger.close();
    }
    expect((await readdir(folder.dir)).sort()).toEqual([sandboxFolder(40), sandboxFolder(41)].sort());
    const memory = await start(["--sandbox", "--no-cache", "--sandbox-job-ms", "300"]);
    try {
      const answer = await memory.call("clari_query", { sql: "SELECT count(*) FROM forecast" });
      expect(answer.text).toContain("Nothing stored to answer from");
    } finally {
      await memory.close();
    }
    expect((await readdir(folder.dir)).sort()).toEqual([sandboxFolder(40), sandboxFolder(41)].sort());
  });
});
