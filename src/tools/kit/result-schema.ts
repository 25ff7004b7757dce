/**
 * Each tool's result (its structuredContent) as JSON Schema, for docs/TOOLS.md. The catalogue lists
 * no output schemas (listing.ts: they were a third of every conversation's catalogue), so the docs
 * state them instead: the time `context` every result carries once, and each export summary once,
 * referred to from the tools that answer with it. The server checks every answer against the same
 * zod schemas (register-tools.ts).
 */
import { z } from "zod";
import { ActivitySummarySchema, AuditSummarySchema, ForecastSummarySchema } from "../../exports/index.js";
import type { ToolDefinition } from "./define-tool.js";
import { TimeContextSchema } from "./time-context.js";

/** Shapes stated once in the docs, by the name the results refer to them with. */
const STATED_ONCE = new Map<z.core.$ZodType, string>([
  [TimeContextSchema, "TimeContext"],
  [ForecastSummarySchema, "ForecastSummary"],
  [AuditSummarySchema, "AuditSummary"],
  [ActivitySummarySchema, "ActivitySummary"],
]);

function render(schema: z.ZodType, refer: boolean): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "output",
    override: ({ zodSchema, jsonSchema }) => {
      const name = STATED_ONCE.get(zodSchema);
      if (!refer || !name) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      (jsonSchema as Record<string, unknown>).$ref = `#/$defs/${name}`;
    },
  }) as Record<string, unknown>;
  return json;
}

export interface ResultSchemas {
  /** Per tool: its structuredContent, with `context` and summaries as `$ref`s into `defs`. */
  byTool: Map<string, Record<string, unknown>>;
  /** The shapes stated once, by name. */
  defs: Record<string, Record<string, unknown>>;
}

export function resultSchemas(tools: readonly ToolDefinition[]): ResultSchemas {
  const byTool = new Map(tools.map((tool) => [tool.name, render(z.object({ ...tool.outputSchema, context: TimeContextSchema }), true)] as const));
  const defs = Object.fromEntries([...STATED_ONCE].map(([schema, name]) => [name, render(schema as z.ZodType, false)]));
  return { byTool, defs };
}
