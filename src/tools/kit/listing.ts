/**
 * The tools/list entries, rendered once from the catalogue. The SDK would render the same zod
 * schemas on every request and stamp each with "$schema"; the catalogue is sent to the model in
 * every conversation, so we render it once and leave out what no client needs. `npm run build`
 * also writes the rendering to dist/tools/listing.json, read at start-up instead of converting
 * 36 schemas before the first tools/list can be answered.
 */
import { readFileSync } from "node:fs";
import { firstExisting } from "../../package-file.js";
import type { Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import { MCP_APP_LEGACY_URI_KEY } from "../../resources/uris.js";
import type { ToolDefinition } from "./define-tool.js";

/**
 * Schemas the catalogue shows as a plain object. An export summary's whole shape is about 1,200
 * tokens, in every conversation, for each tool that returns one; the model reads the summary itself
 * when it gets one. Results are still checked against the whole schema (the SDK's output check,
 * register-tools.ts for job tools, and each tool's test).
 */
const listedBriefly = new WeakSet<z.core.$ZodType>();
export function listedAsObject<S extends z.ZodType>(schema: S): S {
  listedBriefly.add(schema);
  return schema;
}

function jsonSchema(shape: z.ZodRawShape, io: "input" | "output"): Tool["inputSchema"] {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(z.object(shape), {
    target: "draft-2020-12",
    io,
    override: ({ zodSchema, jsonSchema }) => {
      if (!listedBriefly.has(zodSchema)) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      jsonSchema.type = "object";
    },
  }) as Record<string, unknown>;
  // The root keeps its "properties" even when empty: some clients require it of a tool's schema.
  return { ...(withoutNoOps(schema) as object), properties: withoutNoOps(schema.properties ?? {}) } as Tool["inputSchema"];
}

const isEmptyObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * Drops keywords that allow what is allowed anyway (`"properties": {}`, `"additionalProperties": {}`,
 * as zod renders a loose object) below the root: the same schema in fewer bytes of catalogue.
 */
function withoutNoOps(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNoOps);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === "properties" || key === "additionalProperties") && isEmptyObject(value)) continue;
    // Property names are data, not keywords: keep every one, prune inside.
    out[key] = key === "properties" ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutNoOps(v)])) : withoutNoOps(value);
  }
  return out;
}

/**
 * Every result's structuredContent carries `context` (today, currentQuarter; see define-tool.ts),
 * declared here once rather than in each tool's schema. The top level is left open instead of
 * `additionalProperties: false`, which costs the catalogue about the same bytes as the declaration.
 */
function outputSchema(shape: z.ZodRawShape): Tool["outputSchema"] {
  const { additionalProperties: _closed, ...schema } = jsonSchema(shape, "output") as Tool["inputSchema"] & { additionalProperties?: unknown };
  return { ...schema, properties: { ...schema.properties, context: { type: "object" } } } as Tool["outputSchema"];
}

const rendered = new Map<string, Tool[]>();

/** The build's rendering of every tool, by name (absent when running from source). */
const prebuilt: Map<string, Tool> | undefined = (() => {
  try {
    // dist/tools/listing.json seen from dist/tools/kit/; from the bundled binary, dist/tools/ seen from dist/ or dist/chunks/.
    const file = firstExisting(import.meta.url, ["../listing.json", "./tools/listing.json", "../tools/listing.json"]);
    if (!file) return undefined;
    const tools = JSON.parse(readFileSync(file, "utf8")) as Tool[];
    return new Map(tools.map((t) => [t.name, t]));
  } catch {
    return undefined;
  }
})();

/** Memoised per selection: HTTP sessions (and stateless requests) all share one rendering. */
export function toolListing(tools: readonly ToolDefinition[]): Tool[] {
  const key = tools.map((t) => t.name).join(",");
  let listing = rendered.get(key);
  if (!listing) {
    const fromBuild = prebuilt && tools.map((t) => prebuilt.get(t.name));
    listing = fromBuild?.every((t) => t !== undefined) ? (fromBuild as Tool[]) : renderListing(tools);
    rendered.set(key, listing);
  }
  return listing;
}

export function renderListing(tools: readonly ToolDefinition[]): Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.inputSchema, "input"),
    outputSchema: outputSchema(tool.outputSchema),
    annotations: tool.annotations,
    ...(tool.uiResourceUri ? { _meta: uiMeta(tool.uiResourceUri) } : {}),
  }));
}

/**
 * A tool's link to its MCP App view, as ext-apps' registerAppTool writes it: `ui.resourceUri`, and the
 * older flat key hosts of the first MCP Apps drafts read. Clients without the extension ignore `_meta`.
 */
export function uiMeta(resourceUri: string): Record<string, unknown> {
  return { ui: { resourceUri }, [MCP_APP_LEGACY_URI_KEY]: resourceUri };
}
