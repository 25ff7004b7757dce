/**
 * Test-only tools the MCP conformance suite's scenarios call by name. Registered only by the test
 * entry point cli-with-fixtures.ts, which the conformance test builds and runs; the shipped binary
 * never has them.
 * - server-stateless: test_missing_capability, test_streaming_elicitation, test_logging_tool, each
 *   written the SDK's way, so the scenario checks the SDK's behaviour and ours, not a hand-made answer.
 * - the Tasks scenarios: greet (sync), and task-supporting tools that are this server's own job
 *   tools underneath, so the suite drives our task machinery (src/tasks) on real sandbox jobs:
 *   slow_compute is clari_export_forecast (a fresh export; `seconds: 0` answers at once, the
 *   immediate-result path), failing_job is clari_ingest_bulk of a record the sandbox rejects (the
 *   ingest job ends VALIDATION_FAILED: a tool error). confirm_delete answers at once: no task of
 *   this server ever asks for input, so the checks that need a task parked for input are skipped
 *   by the suite itself.
 */
import { inputRequired, type CallToolResult, type McpServer, type ServerContext, type Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Deps } from "../../src/deps.js";
import { declaresTasks, ownerOf, startJobTask } from "../../src/tasks/job-tasks.js";
import { exportForecast } from "../../src/tools/catalog/export-forecast.js";
import { ingestBulk } from "../../src/tools/catalog/ingest-bulk.js";
import { runTool, type ToolDefinition } from "../../src/tools/kit/define-tool.js";
import type { CallContext } from "../../src/exports/index.js";

const EMPTY_INPUT = { type: "object", properties: {} } as const;

const FIXTURES: Tool[] = [
  { name: "test_missing_capability", description: "Conformance fixture: needs the client's sampling capability", inputSchema: EMPTY_INPUT },
  { name: "test_streaming_elicitation", description: "Conformance fixture: sends progress before its result", inputSchema: EMPTY_INPUT },
  { name: "test_logging_tool", description: "Conformance fixture: logs at info (sent only when the request asks for a log level)", inputSchema: EMPTY_INPUT },
];

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

const TASK_FIXTURES: Tool[] = [
  { name: "greet", description: "Conformance fixture: sync, says hello", inputSchema: { type: "object", properties: { name: { type: "string" } } } },
  { name: "slow_compute", description: "Conformance fixture: a Clari export job (a task for a Tasks client)", inputSchema: { type: "object", properties: { seconds: { type: "number" }, label: { type: "string" } } }, execution: { taskSupport: "optional" } },
  { name: "failing_job", description: "Conformance fixture: a Clari ingest job that ends in a validation error", inputSchema: { type: "object", properties: {} }, execution: { taskSupport: "optional" } },
  { name: "confirm_delete", description: "Conformance fixture: answers at once (no task of this server asks for input)", inputSchema: { type: "object", properties: { filename: { type: "string" } } } },
];

const SLOW_COMPUTE = { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport: ["forecast"], fresh: true };
const FAILING_JOB = { entity: "account", datasets: [{ sourceEntity: "Account", records: [{ id: "001A", createdAt: 1, updatedAt: 2, healthScore: "not a number" }] }] };

/** The call context a fixture's job tool runs with: the request's cancellation, no progress. */
const callOf = (ctx: ServerContext): CallContext => ({ signal: ctx.mcpReq.signal, progress: async () => undefined, isClosing: () => false });

/** A fixture standing for one of our job tools: a task for a Tasks client (our task machinery), else the tool's bounded wait. */
async function asJobTool(tool: ToolDefinition, args: Record<string, unknown>, deps: Deps, server: McpServer, ctx: ServerContext): Promise<CallToolResult> {
  if (declaresTasks(ctx, server)) return (await startJobTask(tool, args, deps, callOf(ctx), ownerOf(ctx))) as CallToolResult;
  return runTool(tool, { ...args, waitSeconds: 1 }, deps, callOf(ctx));
}

/** The Tasks scenarios' fixtures (see the header). */
function registerTaskFixtures(server: McpServer, deps: Deps): void {
  server.registerTool("greet", { description: TASK_FIXTURES[0]!.description, inputSchema: z.object({ name: z.string().optional() }) }, ({ name }) => text(`Hello, ${name ?? "World"}!`));
  server.registerTool("slow_compute", { description: TASK_FIXTURES[1]!.description, inputSchema: z.object({ seconds: z.number().optional(), label: z.string().optional() }) }, ({ seconds, label }, ctx) =>
    seconds === 0 ? text(`computed ${label ?? ""} at once`) : asJobTool(exportForecast as unknown as ToolDefinition, SLOW_COMPUTE, deps, server, ctx),
  );
  server.registerTool("failing_job", { description: TASK_FIXTURES[2]!.description, inputSchema: z.object({}) }, (_args, ctx) => asJobTool(ingestBulk as unknown as ToolDefinition, FAILING_JOB, deps, server, ctx));
  server.registerTool("confirm_delete", { description: TASK_FIXTURES[3]!.description, inputSchema: z.object({ filename: z.string().optional() }) }, ({ filename }) =>
    text(`Nothing to confirm for ${filename ?? "the file"}: no task of this server asks for input.`),
  );
}

/** Adds the fixtures to the server and to the tools/list answer `listed` (mutated in place). */
export function registerConformanceFixtures(server: McpServer, listed: { tools: Tool[] }, deps: Deps): void {
  registerTaskFixtures(server, deps);
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
  listed.tools = [...listed.tools, ...FIXTURES, ...TASK_FIXTURES];
  const catalogueSchema = server.toolInputSchemaJson.bind(server);
  server.toolInputSchemaJson = (name: string) => {
    const fixture = [...FIXTURES, ...TASK_FIXTURES].find((t) => t.name === name);
    return fixture ? ({ ...fixture.inputSchema } as Record<string, unknown>) : catalogueSchema(name);
  };
}
