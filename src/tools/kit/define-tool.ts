/**
 * defineTool: a tool is a plain object (name, schemas, annotations, toolset, handler), so the
 * catalogue is data that tests and the docs generator can walk. runTool is the one place where a
 * thrown error becomes an `isError` result with an actionable message.
 */
import type { CallToolResult, ResourceLink, ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Toolset } from "../../config.js";
import type { CallContext, Deps } from "../../deps.js";
import { redactSecrets } from "../../security/redact.js";
import { redactDeep } from "../../security/redact-deep.js";
import { knownForecastTabs } from "../../exports/index.js";
import { describeError } from "./describe-error.js";
import { timeContext, timeContextLine, type TimeContext } from "./time-context.js";

export interface ToolAnswer<O> {
  /** Short human summary, first thing the assistant reads. */
  text: string;
  structured: O;
  links?: ResourceLink[];
  /** A job that failed, was cancelled or aborted: reported as isError but with its data kept. */
  isError?: boolean;
  /** What the answer adds to the time context every result carries (the week forecast numbers are for). */
  context?: Pick<TimeContext, "forecastWeek">;
}

export type RequiredAnnotations = Required<Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">>;

export interface ToolDefinition<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: `clari_${string}`;
  title: string;
  description: string;
  toolset: Toolset;
  inputSchema: I;
  outputSchema: O;
  annotations: RequiredAnnotations;
  /**
   * Changes data in Clari (cancel, ingest): hidden by --read-only. Exports are not writes in
   * this sense: they queue a job (so readOnlyHint is false) but change no Clari data.
   */
  writesClariData: boolean;
  /** The MCP App view a host shows with this tool's results (ext-apps `_meta.ui.resourceUri`); the result itself is unchanged. */
  uiResourceUri?: `ui://${string}`;
  /**
   * A job tool: a client that declares the Tasks extension gets a task for the Clari job it
   * starts or joins (src/tasks). `jobKind` says which kind of job the call's arguments are about.
   */
  task?: { jobKind(args: Record<string, unknown>): "export" | "ingest" };
  handler(args: z.output<z.ZodObject<I>>, deps: Deps, call: CallContext): Promise<ToolAnswer<z.output<z.ZodObject<O>>>>;
}

export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}

/** True for tools that change data in Clari (hidden by --read-only). */
export function isWriteTool(tool: Pick<ToolDefinition, "writesClariData">): boolean {
  return tool.writesClariData;
}

/** Scrub secrets from every string in structured data (an upstream may echo a key in a 200 body). */
function redactValue<T>(value: T): T {
  return redactDeep(value);
}

/**
 * The one place a tool result is made: every result's text ends with the time context line
 * (today, the current quarter) and its structuredContent carries the same as `context`
 * (listing.ts declares it in every output schema).
 */
export function toCallToolResult(answer: ToolAnswer<unknown>, now: Date | number = Date.now(), forecastTabs: string[] = []): CallToolResult {
  const context: TimeContext = { ...timeContext(now), ...answer.context, ...(forecastTabs.length ? { forecastTabs } : {}) };
  return {
    content: [{ type: "text", text: `${redactSecrets(answer.text)}\n${timeContextLine(context)}` }, ...(answer.links ?? [])],
    structuredContent: { ...redactValue(answer.structured as Record<string, unknown>), context },
    ...(answer.isError ? { isError: true } : {}),
  };
}

/** How long an answer waits for the known tabs (a store that does not answer at once leaves them out). */
const TABS_WAIT_MS = 2000;

export async function runTool(tool: ToolDefinition, args: unknown, deps: Deps, call: CallContext): Promise<CallToolResult> {
  const started = Date.now();
  // Known tabs are a hint: a source that cannot be read, or not at once, leaves them out and never fails or holds the call.
  const tabs = async (): Promise<string[]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<[]>((resolve) => (timer = setTimeout(() => resolve([]), TABS_WAIT_MS)));
    const known = await Promise.race([knownForecastTabs(deps).catch(() => []), late]).finally(() => clearTimeout(timer));
    return known.map((t) => t.forecastId);
  };
  try {
    const answer = await tool.handler(args as never, deps, call);
    deps.logger.debug(`${tool.name} answered in ${Date.now() - started} ms${answer.isError ? " (error)" : ""}`);
    return toCallToolResult(answer, Date.now(), await tabs());
  } catch (error) {
    const forecastTabs = await tabs();
    const text = describeError(error, tool.name, { forecastTabs });
    deps.logger.info(`${tool.name} failed: ${text.split("\n")[0]}`);
    return { content: [{ type: "text", text: `${text}\n${timeContextLine({ ...timeContext(), forecastTabs })}` }], isError: true };
  }
}

/** A resource_link content item. */
export function resourceLink(uri: string, name: string, description: string, mimeType = "application/json"): ResourceLink {
  return { type: "resource_link", uri, name, description, mimeType };
}
