/**
 * Test-only tools the MCP conformance suite's server-stateless scenario calls by name
 * (test_missing_capability, test_streaming_elicitation, test_logging_tool). Registered only by
 * the test entry point cli-with-fixtures.ts, which the conformance test builds and runs; the
 * shipped binary never has them. Each is written the SDK's way, so the scenario checks the SDK's behaviour and ours, not
 * a hand-made answer.
 */
import { inputRequired, type McpServer, type ServerContext, type Tool } from "@modelcontextprotocol/server";

const EMPTY_INPUT = { type: "object", properties: {} } as const;

const FIXTURES: Tool[] = [
  { name: "test_missing_capability", description: "Conformance fixture: needs the client's sampling capability", inputSchema: EMPTY_INPUT },
  { name: "test_streaming_elicitation", description: "Conformance fixture: sends progress before its result", inputSchema: EMPTY_INPUT },
  { name: "test_logging_tool", description: "Conformance fixture: logs at info (sent only when the request asks for a log level)", inputSchema: EMPTY_INPUT },
];

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/** Adds the fixtures to the server and to the tools/list answer `listed` (mutated in place). */
export function registerConformanceFixtures(server: McpServer, listed: { tools: Tool[] }): void {
  // Asks the client for a sampling round; the SDK refuses it with -32021 (HTTP 400) when the
  // request's clientCapabilities declare no sampling.
  server.registerTool("test_missing_capability", { description: FIXTURES[0]!.description }, (ctx: ServerContext) => {
    if (ctx.mcpReq.inputResponses?.sample !== undefined) return text("Success");
    return inputRequired({ inputRequests: { sample: inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: "ping" } }], maxTokens: 1 }) } });
  });
  server.registerTool("test_streaming_elicitation", { description: FIXTURES[1]!.description }, async (ctx: ServerContext) => {
    await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken: ctx.mcpReq._meta?.progressToken ?? "conformance", progress: 50, total: 100 } });
    return text("Streaming complete");
  });
  server.registerTool("test_logging_tool", { description: FIXTURES[2]!.description }, async (ctx: ServerContext) => {
    await ctx.mcpReq.log("info", "diagnostic trace");
    return text("Logging evaluated");
  });
  listed.tools = [...listed.tools, ...FIXTURES];
  const catalogueSchema = server.toolInputSchemaJson.bind(server);
  server.toolInputSchemaJson = (name: string) => (FIXTURES.some((t) => t.name === name) ? { ...EMPTY_INPUT } : catalogueSchema(name));
}
