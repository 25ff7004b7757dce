/**
 * docs/TOOLS.md, rendered from the catalogue so it cannot drift from the code (test/docs.test.ts
 * compares the file with this rendering). Dev code, not shipped: the catalogue is passed in, from
 * the sources by the test and from dist/ by `npm run docs`.
 */

/** @param {{ readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean }} a */
function hints(a) {
  return [a.readOnlyHint ? "read-only" : "writes", a.destructiveHint ? "destructive" : "non-destructive", a.idempotentHint ? "idempotent" : "not idempotent", a.openWorldHint ? "calls Clari" : "local only"].join(", ");
}

/**
 * @param {{ ALL_TOOLS: readonly any[]; TOOLSETS: readonly string[]; toolListing: (tools: readonly any[]) => { name: string; inputSchema: unknown }[]; resultSchemas: (tools: readonly any[]) => { byTool: Map<string, unknown>; defs: Record<string, unknown> } }} catalogue
 * @returns {string}
 */
export function renderToolsDoc({ ALL_TOOLS, TOOLSETS, toolListing, resultSchemas }) {
  const listing = new Map(toolListing(ALL_TOOLS).map((t) => [t.name, t]));
  const results = resultSchemas(ALL_TOOLS);
  const json = (value) => ["```json", JSON.stringify(value, null, 2), "```"];
  const out = [
    "# Tools",
    "",
    "Generated from the catalogue by `npm run docs`; do not edit by hand (a test fails when this file is stale).",
    "",
    `${ALL_TOOLS.length} tools in ${TOOLSETS.length} toolsets. Select with \`--toolsets\`, \`--tools\`, \`--read-only\`; ingest tools are listed only when \`CLARI_PARTNER_KEY\` is set (or with \`--sandbox\`, which has its own).`,
    "",
    "Every result is a short text for the model and the same facts as `structuredContent`, whose shape each tool's " +
      "\"Result\" below states. `tools/list` carries no output schemas, which would be a third of the catalogue sent in " +
      "every conversation; the server checks each answer against these shapes before it leaves. Every result's " +
      "`structuredContent` carries `context` ([TimeContext](#timecontext): today, the current quarter, the known " +
      "Forecast Tabs, a forecast answer's week), and its text ends with the same in words. Export summaries are stated " +
      "once, under [Shapes stated once](#shapes-stated-once).",
    "",
    "| Tool | Toolset | Annotations |",
    "|---|---|---|",
    ...ALL_TOOLS.map((t) => `| [\`${t.name}\`](#${t.name}) | ${t.toolset} | ${hints(t.annotations)} |`),
    "",
  ];
  for (const toolset of TOOLSETS) {
    const tools = ALL_TOOLS.filter((t) => t.toolset === toolset);
    if (!tools.length) continue;
    out.push(`## Toolset: ${toolset}`, "");
    for (const tool of tools) {
      const listed = listing.get(tool.name);
      out.push(
        `### ${tool.name}`,
        "",
        `**${tool.title}**: ${tool.description}`,
        "",
        `Annotations: readOnlyHint=${tool.annotations.readOnlyHint}, destructiveHint=${tool.annotations.destructiveHint}, idempotentHint=${tool.annotations.idempotentHint}, openWorldHint=${tool.annotations.openWorldHint}`,
        "",
        "Input schema:",
        "",
        ...json(listed.inputSchema),
        "",
        "Result (`structuredContent`):",
        "",
        ...json(results.byTool.get(tool.name)),
        "",
      );
    }
  }
  out.push("## Shapes stated once", "");
  for (const [name, schema] of Object.entries(results.defs)) out.push(`### ${name}`, "", ...json(schema), "");
  return out.join("\n");
}
