/**
 * The Claude Desktop bundle's manifest as Claude Desktop resolves it: with only the API key set,
 * an optional key left empty reaches the server as "" (its default) or, in older hosts, as the
 * unresolved "${user_config.partner_key}". Either way the built server lists no ingest tools.
 */
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { describe, expect, it } from "vitest";
import { CLI, cleanEnv } from "./binary.js";

interface Manifest {
  server: { mcp_config: { env: Record<string, string> } };
  user_config: Record<string, { type: string; required?: boolean; default?: unknown }>;
}
const manifest = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")) as Manifest;

/** ${user_config.x} replaced by the user's value, the default, or (substituteMissing off) left as is. */
function resolve(values: Record<string, string>, substituteMissing: boolean): Record<string, string> {
  return Object.fromEntries(
    Object.entries(manifest.server.mcp_config.env).map(([name, template]) => [
      name,
      template.replace(/\$\{user_config\.([a-z_]+)\}/g, (whole, key: string) => values[key] ?? (substituteMissing ? String(manifest.user_config[key]?.default ?? whole) : whole)),
    ]),
  );
}

async function listedTools(env: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: "desktop-test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "--no-cache"], env: cleanEnv(env), stderr: "ignore" }));
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

describe("the Claude Desktop bundle's manifest", () => {
  it("requires nothing, and every setting's default is off: empty keys, no simulated data", () => {
    for (const [key, option] of Object.entries(manifest.user_config)) {
      expect(option.required, key).toBe(false);
      expect(option.default, key).toBe(option.type === "boolean" ? false : "");
    }
    expect(manifest.server.mcp_config.env.CLARI_MCP_SANDBOX).toBe("${user_config.sandbox}");
  });

  it("with 'Try with simulated data' on and no key, serves the simulated Clari", async () => {
    for (const substituteMissing of [true, false]) {
      const tools = await listedTools(resolve({ sandbox: "true" }, substituteMissing));
      expect(tools).toContain("clari_export_forecast");
    }
  });

  it("with only the API key set, lists no ingest tools (default substituted, or the placeholder left as is)", async () => {
    for (const substituteMissing of [true, false]) {
      const env = resolve({ api_key: "desktop-test-key" }, substituteMissing);
      const tools = await listedTools(env);
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.filter((t) => t.startsWith("clari_ingest") || t.includes("picklist") || t === "clari_get_ingest_job"), JSON.stringify(env)).toEqual([]);
    }
    expect((await listedTools(resolve({ api_key: "desktop-test-key", partner_key: "desktop-partner" }, true))).filter((t) => t.startsWith("clari_ingest"))).toHaveLength(2);
  });
});
