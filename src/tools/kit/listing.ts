/**
 * The tools/list entries, rendered once from the catalogue. The SDK would render the same zod
 * schemas on every request and stamp each with "$schema"; the catalogue is sent to the model in
 * every conversation, so we render it once and leave out what no client needs: the `$schema`
 * stamp, output schemas (results keep their structuredContent, checked against the tool's zod
 * schema by register-tools.ts and stated in docs/TOOLS.md) and annotations the spec already
 * implies. `npm run build` also writes the rendering to dist/tools/listing.json, read at start-up
 * instead of converting 18 schemas before the first tools/list can be answered.
 */
import { readFileSync } from "node:fs";
import { firstExisting } from "../../package-file.js";
import type { Tool, ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import { MCP_APP_LEGACY_URI_KEY } from "../../resources/uris.js";
import type { RequiredAnnotations, ToolDefinition } from "./define-tool.js";

/**
 * Inputs the catalogue shows by their type and description alone: ids a model copies from an
 * earlier answer, free text, and the bounds that only guard the server (a 20,000-character SQL
 * string, a 1e13 epoch). The server still checks the whole schema and says what is wrong; formats a
 * model must write (2026_Q4, USD, ISO dates, CRM ids) and the limits it chooses within stay listed.
 * Mark the schema last (after `.describe()`, which makes a new one), before `.optional()`/`.default()`.
 */
const listedPlainly = new WeakSet<z.core.$ZodType>();
export function listedPlain<S extends z.ZodType>(schema: S): S {
  listedPlainly.add(schema);
  return schema;
}

function jsonSchema(shape: z.ZodRawShape): Tool["inputSchema"] {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(z.object(shape), {
    target: "draft-2020-12",
    io: "input",
    override: ({ zodSchema, jsonSchema }) => {
      if (!listedPlainly.has(zodSchema)) return;
      const { type, description } = jsonSchema;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, { type }, description === undefined ? {} : { description });
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
 * The annotations as the spec reads them, without what it already implies: destructiveHint and
 * idempotentHint are "meaningful only when readOnlyHint == false", and a missing readOnlyHint
 * (false) or openWorldHint (true) is the cautious reading. A tool that writes always states both
 * of its write hints, so a client that reads only what is present still sees a destructive one.
 */
export function listedAnnotations(a: RequiredAnnotations): ToolAnnotations {
  return {
    ...(a.readOnlyHint ? { readOnlyHint: true } : { destructiveHint: a.destructiveHint, idempotentHint: a.idempotentHint }),
    ...(a.openWorldHint ? {} : { openWorldHint: false }),
  };
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
    inputSchema: jsonSchema(tool.inputSchema),
    annotations: listedAnnotations(tool.annotations),
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
