export function renderToolsDoc(catalogue: {
  ALL_TOOLS: readonly { name: string; title: string; description: string; toolset: string; annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean } }[];
  TOOLSETS: readonly string[];
  toolListing: (tools: readonly any[]) => { name: string; inputSchema: unknown }[];
  resultSchemas: (tools: readonly any[]) => { byTool: Map<string, unknown>; defs: Record<string, unknown> };
}): string;
