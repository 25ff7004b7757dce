/**
 * The catalogue as an MCP client sees it: names, annotations, schemas, toolsets, read-only, and
 * its size, which every conversation pays for.
 */
import type { ToolAnnotations } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_BUDGET, measure } from "../../bench/catalogue-size.mjs";
import { TOOLSETS } from "../../src/config.js";
import { ALL_TOOLS } from "../../src/tools/index.js";
import type { RequiredAnnotations } from "../../src/tools/kit/define-tool.js";
import { renderListing } from "../../src/tools/kit/listing.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

/**
 * What a client may conclude from listed annotations, the spec's defaults filled in. Beside
 * readOnlyHint: true the spec gives destructiveHint and idempotentHint no meaning: a tool that
 * changes nothing destroys nothing and can be repeated, which is how the catalogue declares them.
 */
function specReading(a: ToolAnnotations = {}): RequiredAnnotations {
  const readOnlyHint = a.readOnlyHint ?? false;
  return {
    readOnlyHint,
    destructiveHint: readOnlyHint ? false : (a.destructiveHint ?? true),
    idempotentHint: readOnlyHint ? true : (a.idempotentHint ?? false),
    openWorldHint: a.openWorldHint ?? true,
  };
}

describe("tools/list", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("lists every tool with a clari_ name, title, description, input schema, and annotations that read as its own", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    expect(tools).toHaveLength(18);
    for (const tool of tools) {
      const defined = ALL_TOOLS.find((t) => t.name === tool.name)!;
      // clari_<verb>_<noun>; the one SQL tool over everything stored is named by its verb alone.
      expect(tool.name).toMatch(tool.name === "clari_query" ? /^clari_query$/ : /^clari_[a-z]+(_[a-z]+)+$/);
      expect(tool.title).toBeTruthy();
      expect(tool.description!.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
      // Results carry structuredContent, checked on the server and stated in docs/TOOLS.md, not listed.
      expect(tool.outputSchema, tool.name).toBeUndefined();
      expect(specReading(tool.annotations), tool.name).toEqual(defined.annotations);
      // A tool that writes states both of its write hints, so a client reading only what is present sees cancel as destructive.
      if (!defined.annotations.readOnlyHint) expect(Object.keys(tool.annotations!).sort(), tool.name).toEqual(expect.arrayContaining(["destructiveHint", "idempotentHint"]));
    }
    expect(tools.find((t) => t.name === "clari_cancel_export_job")!.annotations).toMatchObject({ destructiveHint: true });
  });

  it("renders no keyword that allows what is allowed anyway, and keeps the root's properties", () => {
    for (const tool of renderListing(ALL_TOOLS)) {
      expect(tool.inputSchema.properties, tool.name).toBeDefined();
      expect(JSON.stringify(Object.values(tool.inputSchema.properties!)), tool.name).not.toMatch(/"(properties|additionalProperties)":\{\}/);
    }
  });

  it("still refuses, with the reason, what an input listed by type and description alone does not allow", async () => {
    const listed = new Map((await h.client.listTools()).tools.map((t) => [t.name, t]));
    const refused = async (name: string, args: Record<string, unknown>, reason: RegExp) => {
      const result = await h.client.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(textOf(result), name).toMatch(reason);
    };
    expect(listed.get("clari_get_export_job")!.inputSchema.properties!.jobId).toEqual({ type: "string", description: "From an export tool or clari_list_export_jobs" });
    await refused("clari_get_export_job", { jobId: "../limits" }, /a jobId is letters, digits, '-' or '_'/);
    expect(listed.get("clari_query")!.inputSchema.properties!.sql).toEqual({ type: "string", description: "One DuckDB SELECT" });
    await refused("clari_query", { sql: `SELECT 1 -- ${"x".repeat(20_000)}` }, /<=20000 characters/);
    expect(listed.get("clari_ingest_bulk")!.inputSchema.properties!.datasets).toEqual({ type: "array", description: "As in clari_ingest_records, no 100 limit" });
    await refused("clari_ingest_bulk", { entity: "account", datasets: [{ sourceEntity: "crm", records: [{ id: "1", createdAt: 2, updatedAt: 1 }] }] }, /updatedAt must be greater than or equal to createdAt/);
  });

  it(`stays under ${TOKEN_BUDGET} tokens with every tool listed, counted as bench/catalogue.mjs counts it`, async () => {
    const result = await h.client.listTools(); // the harness has a partner key: every tool is listed
    expect(result.tools).toHaveLength(ALL_TOOLS.length);
    const size = measure(result);
    expect(size.tokens, `tools/list is ${size.chars} characters (~${size.tokens} tokens); see bench/README.md`).toBeLessThan(TOKEN_BUDGET);
  });

  it("keeps each tool in its own file named after it under src/tools/catalog/, and nothing else there", async () => {
    const { readdir } = await import("node:fs/promises");
    const files = (await readdir(new URL("../../src/tools/catalog/", import.meta.url))).sort();
    const expected = ALL_TOOLS.map((tool) => `${tool.name.replace(/^clari_/, "").replace(/_/g, "-")}.ts`).sort();
    expect(files).toEqual(expected);
    for (const tool of ALL_TOOLS) {
      expect(TOOLSETS).toContain(tool.toolset);
      const file = `${tool.name.replace(/^clari_/, "").replace(/_/g, "-")}.ts`;
      const module = (await import(`../../src/tools/catalog/${file.replace(/\.ts$/, ".js")}`)) as Record<string, unknown>;
      const tools = Object.values(module).filter((v) => typeof v === "object" && v !== null && "handler" in v && "inputSchema" in v);
      expect(tools.map((t) => (t as unknown as { name: string }).name), file).toEqual([tool.name]);
    }
  });

  it("marks only the tools that change nothing as read-only, writes as writes, and cancel as destructive", () => {
    for (const tool of ALL_TOOLS) if (tool.writesClariData) expect(tool.annotations.readOnlyHint, tool.name).toBe(false);
    const byName = Object.fromEntries(ALL_TOOLS.map((t) => [t.name, t.annotations]));
    expect(byName.clari_cancel_export_job).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.clari_export_forecast).toMatchObject({ readOnlyHint: false, idempotentHint: false });
    expect(byName.clari_ingest_records).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    expect(byName.clari_get_limits).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(byName.clari_query).toMatchObject({ readOnlyHint: true, openWorldHint: false });
  });
});

describe("tool selection", () => {
  it("hides every tool that changes Clari data in read-only mode, and keeps exports", async () => {
    const h = await startHarness({ flags: ["--read-only"] });
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    const writers = ALL_TOOLS.filter((t) => t.writesClariData).map((t) => t.name);
    expect(writers.sort()).toEqual(["clari_add_picklist_values", "clari_cancel_export_job", "clari_ingest_bulk", "clari_ingest_records"]);
    for (const writer of writers) expect(names).not.toContain(writer);
    expect(names).toContain("clari_export_forecast");
    expect(names).toContain("clari_query");
    expect(names).toHaveLength(ALL_TOOLS.length - writers.length);
    await h.close();
  });

  it("lists ingest tools only when a partner key is set", async () => {
    const h = await startHarness({ partnerKey: false });
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.includes("ingest") || n.includes("picklist"))).toBe(false);
    await h.close();
  });

  it("narrows to --toolsets and --tools", async () => {
    const h = await startHarness({ flags: ["--toolsets", "forecast,admin"] });
    const names = (await h.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(["clari_export_forecast", "clari_get_forecast", "clari_get_limits", "clari_query"]);
    await h.close();
    const one = await startHarness({ flags: ["--tools", "clari_get_limits"] });
    expect((await one.client.listTools()).tools.map((t) => t.name)).toEqual(["clari_get_limits"]);
    await one.close();
  });
});
