/**
 * DuckDB loads on the first clari_query, never at start-up (the built binary's debug log says
 * when); the tables follow the store (new exports loaded, departed ones dropped); the contract is
 * served as clari://schema and documented, column by column and metric by metric, in docs/QUERY.md.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { CONTRACT } from "../../src/exports/query/contract.js";
import { METRICS } from "../../src/exports/query/metrics.js";
import { CLI, cleanEnv } from "../e2e/binary.js";
import { startHarness, textOf } from "../helpers/harness.js";

describe("loading", () => {
  let client: Client | undefined;
  afterAll(async () => {
    await client?.close();
  });

  it("the built binary answers tools/list without loading DuckDB, and loads it on the first clari_query", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "--sandbox", "--no-cache", "--log-level", "debug"], env: cleanEnv(), stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: "cold-start", version: "1.0.0" });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("clari_query");
    await client.callTool({ name: "clari_get_limits", arguments: {} });
    expect(stderr).not.toMatch(/query engine loaded/);
    const result = await client.callTool({ name: "clari_query", arguments: { sql: "SELECT count(*) AS n FROM exports" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(stderr).toMatch(/query engine loaded/);
  }, 30_000);

  it("takes in new exports and drops those that left the store", async () => {
    const h = await startHarness();
    try {
      const count = async () => {
        const r = await h.client.callTool({ name: "clari_query", arguments: { sql: "SELECT export_id, kind FROM exports ORDER BY export_id" } });
        return (r.structuredContent as { rows: unknown[][] }).rows;
      };
      expect(await count()).toEqual([]);
      const a = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } });
      const first = (a.structuredContent as { jobId: string }).jobId;
      expect(await count()).toEqual([[first, "forecast"]]);
      const b = await h.client.callTool({ name: "clari_export_audit_events", arguments: {} });
      expect((b.structuredContent as { outcome: string }).outcome, textOf(b)).toBe("done");
      const second = (b.structuredContent as { jobId: string }).jobId;
      expect((await count()).length).toBe(2);
      await h.deps.store.discard(first);
      expect(await count()).toEqual([[second, "audit"]]);
      const left = await h.client.callTool({ name: "clari_query", arguments: { sql: `SELECT count(*) FROM forecast WHERE export_id = '${first}'` } });
      expect((left.structuredContent as { rows: unknown[][] }).rows).toEqual([[0]]);
    } finally {
      await h.close();
    }
  }, 60_000);

  it("serves the contract as clari://schema and documents every column and named metric in docs/QUERY.md", async () => {
    const h = await startHarness();
    try {
      const schema = (await h.client.readResource({ uri: "clari://schema" })).contents[0] as { text: string; mimeType: string };
      expect(schema.mimeType).toBe("text/markdown");
      const doc = readFileSync(new URL("../../docs/QUERY.md", import.meta.url), "utf8");
      for (const table of CONTRACT) {
        const section = (text: string) => text.slice(text.indexOf(`## ${table.name}\n`)).split(/\n## /)[0]!;
        if (table.sameColumnsAs) {
          // A view with another table's columns says so; those columns are documented there.
          for (const text of [schema.text, doc]) expect(section(text), table.name).toContain(`Same columns as \`${table.sameColumnsAs}\`.`);
          continue;
        }
        for (const column of table.columns) {
          const line = `| ${column.name} | ${column.type} |`;
          expect(section(schema.text), `${table.name}.${column.name}`).toContain(line);
          expect(section(doc), `${table.name}.${column.name} in docs/QUERY.md`).toContain(line);
        }
      }
      for (const metric of METRICS) {
        const line = `| \`${metric.signature}\` | ${metric.formula} |`;
        expect(schema.text, metric.name).toContain(line);
        expect(doc, `${metric.name} in docs/QUERY.md`).toContain(line);
      }
    } finally {
      await h.close();
    }
  });
});
