/**
 * A server stopped right after it started lets go of its store's lock: one that exited while
 * taking it left the lock folder behind, and the next start on the same store then waited for it
 * to go stale (5 s) before answering. The built binary is started and stopped on one folder
 * several times (a client that connects, lists the tools and closes); after each stop the lock is
 * gone, so the next start finds the store free.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { tempDir } from "../helpers/harness.js";
import { CLI, cleanEnv } from "./binary.js";

describe("stopping right after start", () => {
  let folder: { dir: string; remove(): Promise<void> };
  beforeAll(async () => {
    folder = await tempDir("clari-e2e-restart-lock-");
  });
  afterAll(async () => {
    await folder.remove();
  });

  it("leaves no store lock behind, start after start", async () => {
    const env = cleanEnv({ CLARI_API_KEY: "e2e-not-a-real-key", CLARI_BASE_URL: "http://127.0.0.1:9/v4" });
    const left: number[] = [];
    for (let run = 0; run < 8; run++) {
      const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "--cache-dir", folder.dir], env, stderr: "ignore" });
      const client = new Client({ name: "e2e-restart-lock", version: "1.0.0" });
      await client.connect(transport);
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
      const [store] = await readdir(folder.dir);
      if (existsSync(path.join(folder.dir, store as string, "store.lock"))) left.push(run);
    }
    expect(left).toEqual([]);
  }, 60_000);
});
