/**
 * What each tool's test shares: the call through the MCP client, its structuredContent parsed
 * strictly with the tool definition's own output schema (plus the `context` every result carries,
 * added by define-tool.ts), and the sandbox's raw HTTP answers the outcome is checked against.
 */
import type { CallToolResult } from "@modelcontextprotocol/client";
import { expect } from "vitest";
import { z } from "zod";
import type { ToolDefinition } from "../../src/tools/kit/define-tool.js";
import { TimeContextSchema } from "../../src/tools/kit/time-context.js";
import { API_KEY, PARTNER_KEY } from "../helpers/clari.js";
import { textOf, type Harness } from "../helpers/harness.js";

type AnyInput = z.ZodRawShape;

/** The tool's output schema as a closed object, with the `context` of every result. */
export function strictOutputOf<O extends z.ZodRawShape>(tool: ToolDefinition<AnyInput, O>) {
  return z.strictObject({ ...tool.outputSchema, context: TimeContextSchema });
}

export type Output<O extends z.ZodRawShape> = z.output<ReturnType<typeof strictOutputOf<O>>>;

/**
 * structuredContent parsed with the tool's own schema. A nested z.object() drops a key it does
 * not declare instead of refusing it, so the parse must also give back everything it was given.
 */
export function parseStrictly<O extends z.ZodRawShape>(tool: ToolDefinition<AnyInput, O>, structured: unknown): Output<O> {
  const parsed = strictOutputOf(tool).safeParse(structured);
  if (!parsed.success) throw new Error(`${tool.name}: structuredContent does not fit its output schema:\n${z.prettifyError(parsed.error)}\n${JSON.stringify(structured)}`);
  expect(parsed.data, `${tool.name}: structuredContent holds keys its output schema does not declare`).toEqual(structured);
  return parsed.data;
}

export interface Called<O extends z.ZodRawShape> {
  out: Output<O>;
  text: string;
  result: CallToolResult;
}

/** Calls the tool through the MCP client; its result must be (or, with isError, must not be) a success. */
export async function call<O extends z.ZodRawShape>(h: Harness, tool: ToolDefinition<AnyInput, O>, args: Record<string, unknown>, expected: { isError?: boolean } = {}): Promise<Called<O>> {
  const result = (await h.client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
  const text = textOf(result);
  expect(Boolean(result.isError), `${tool.name}: ${text}`).toBe(expected.isError ?? false);
  return { out: parseStrictly(tool, result.structuredContent), text, result };
}

/** A raw request to the sandbox, as any HTTP client would make it: the answer key of these tests. */
export async function raw<T>(method: "GET" | "POST" | "PATCH", url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { apikey: API_KEY, partnerkey: PARTNER_KEY };
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

export interface RawJob {
  jobId: string;
  status: string;
  module?: string;
  title?: string;
  fileName?: string;
  startTime?: number;
}

/** The sandbox's own job list (GET /export/jobs). */
export async function rawJobs(h: Harness): Promise<RawJob[]> {
  return (await raw<{ jobs: RawJob[] }>("GET", `${h.sandbox.v4Url}/export/jobs`)).jobs;
}

/** Queues a forecast export straight with the sandbox (no tool involved); its jobId. */
export async function rawQueueForecast(h: Harness, forecastId = "net_bookings"): Promise<string> {
  return (await raw<{ jobId: string }>("POST", `${h.sandbox.v4Url}/export/forecast/${forecastId}`, {})).jobId;
}

/** Counts by key, most frequent first, then by name: how a summary's "top" lists are checked. */
export function counts<T>(rows: T[], key: (row: T) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) {
    const k = key(row);
    if (k) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export const DAY_MS = 86_400_000;
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * A summary's "most frequent" list against counts made from the raw data: each listed count is
 * right, the list is as long as it may be, in order, and nothing left out outnumbers what is in.
 */
export function expectTop(listed: Array<{ name: string; count: number }>, expected: Map<string, number>, n = 8): void {
  expect(listed.length).toBe(Math.min(n, expected.size));
  for (const { name, count } of listed) expect(count, name).toBe(expected.get(name));
  expect(listed.map((i) => i.count)).toEqual([...listed.map((i) => i.count)].sort((a, b) => b - a));
  const smallest = Math.min(...listed.map((i) => i.count));
  const left = [...expected].filter(([name]) => !listed.some((i) => i.name === name));
  for (const [name, count] of left) expect(count, `${name} left out`).toBeLessThanOrEqual(smallest);
}

/** Earliest and latest of some timestamps (ISO text or epoch ms), as epoch ms. */
export function span(values: Array<string | number>): { from: number; to: number } {
  const ms = values.map((v) => (typeof v === "number" ? v : Date.parse(v)));
  return { from: Math.min(...ms), to: Math.max(...ms) };
}

/** One partner ingest record as Clari's examples have it. */
export const ingestRecord = (id: string, extra: Record<string, unknown> = {}) => ({ id, createdAt: 1303324502462, updatedAt: 1303324602462, ...extra });

/** Uploads a bulk ingest file straight to the sandbox (multipart, as Clari takes it); its jobId. */
export async function rawBulkUpload(h: Harness, entity: string, datasets: unknown): Promise<string> {
  const form = new FormData();
  form.set("FileData", new Blob([JSON.stringify(datasets)], { type: "application/json" }), "data.json");
  return (await raw<{ jobId: string }>("POST", `${h.sandbox.v2Url}/ingest/bulk/entity/${entity}`, form)).jobId;
}

/** The sandbox's own word on a bulk ingest job (GET /v2/ingest/job/{jobId}, 200 or 202). */
export async function rawIngestJob(h: Harness, jobId: string): Promise<{ jobId: string; status: string; message?: unknown }> {
  return (await raw<{ message: { jobId: string; status: string; message?: unknown } }>("GET", `${h.sandbox.v2Url}/ingest/job/${jobId}`)).message;
}

/** Queues an export straight with the sandbox, waits for it there and returns its file. */
export async function rawExport<T>(h: Harness, path: string, body: unknown): Promise<T> {
  const { jobId } = await raw<{ jobId: string }>("POST", `${h.sandbox.v4Url}${path}`, body);
  for (let tries = 0; ; tries++) {
    const { job } = await raw<{ job: RawJob }>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}`);
    if (job.status === "DONE") break;
    if (tries > 200 || !/^(SCHEDULED|STARTED)$/.test(job.status)) throw new Error(`${path}: job ${jobId} ${job.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return raw<T>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}/results`);
}
