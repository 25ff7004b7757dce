/**
 * The prompts, as a client gets them: every column they name is one of clari_query's contract
 * (`table.column`), no other identifier is invented (a camelCase word is a tool's input, a
 * snake_case one a table, column, tool, input value or the tab asked for), and the forecast prompts
 * ask for the very export clari_export_forecast's default call makes, so following them one after
 * another (or after the default call) queues one export.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CONTRACT } from "../../src/exports/query/contract.js";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { jobDurationMs: 100 } });
});
afterAll(() => h.close());

const ARGS: Record<string, Record<string, string>> = {
  forecast_call_prep: { forecastId: "net_bookings" },
  forecast_hygiene: { forecastId: "net_bookings" },
  pipeline_changes: { days: "7" },
  account_engagement: { days: "30" },
};

async function promptText(name: string, args: Record<string, string> = ARGS[name]!): Promise<string> {
  const prompt = await h.client.getPrompt({ name, arguments: args });
  return prompt.messages.map((m) => (m.content as { text: string }).text).join("\n");
}

/** Every key of a tool's input or output, nested objects included, and every enum value. */
function inputVocabulary(): { keys: Set<string>; values: Set<string> } {
  const keys = new Set<string>();
  const values = new Set<string>();
  const walk = (schema: unknown): void => {
    if (!schema || typeof schema !== "object") return;
    const s = schema as { properties?: Record<string, unknown>; items?: unknown; enum?: unknown[]; anyOf?: unknown[] };
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      keys.add(k);
      walk(v);
    }
    walk(s.items);
    for (const v of s.enum ?? []) if (typeof v === "string") values.add(v);
    for (const v of s.anyOf ?? []) walk(v);
  };
  for (const tool of ALL_TOOLS) {
    walk(z.toJSONSchema(z.object(tool.inputSchema), { io: "input" }));
    walk(z.toJSONSchema(z.object(tool.outputSchema)));
  }
  return { keys, values };
}

describe("prompts name only what exists", () => {
  const tables = new Map(CONTRACT.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
  const columns = new Set(CONTRACT.flatMap((t) => t.columns.map((c) => c.name)));
  const tools = new Set<string>(ALL_TOOLS.map((t) => t.name));
  const { keys, values } = inputVocabulary();

  it.each(Object.keys(ARGS))("%s: every table.column is in the contract, every identifier is known", async (name) => {
    const text = await promptText(name);
    const named = [...text.matchAll(/\b([a-z_]+)\.([a-z_]+)\b/g)].filter(([, table]) => tables.has(table!) || columns.has(table!));
    for (const [whole, table, column] of named) expect(tables.get(table!)?.has(column!), `${name} names ${whole}`).toBe(true);
    const snake = [...text.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b/g)].map((m) => m[0]);
    for (const word of snake) {
      const known = tables.has(word) || columns.has(word) || tools.has(word) || values.has(word) || Object.values(ARGS[name]!).includes(word);
      expect(known, `${name} names ${word}, which is no table, column, tool or input value`).toBe(true);
    }
    const camel = [...text.matchAll(/\b[a-z]+[A-Z][A-Za-z]*\b/g)].map((m) => m[0]);
    for (const word of camel) expect(keys.has(word), `${name} names ${word}, which is no tool input or output`).toBe(true);
  });

  it("the check would catch a column that is not in the contract", () => {
    // The mistake the hygiene prompt used to make: group by parentRole (the column is people.parent_role).
    expect(keys.has("parentRole")).toBe(false);
    expect(tables.get("people")?.has("parent_role")).toBe(true);
    expect(tables.get("people")?.has("parentRole")).toBe(false);
  });
});

describe("the forecast prompts share the default export", () => {
  const requestOf = (text: string): Record<string, unknown> => JSON.parse(/clari_export_forecast (\{[^}]*\})/.exec(text)![1]!) as Record<string, unknown>;

  it("both ask for the same request, the default call's, and following both queues one export", async () => {
    const prep = requestOf(await promptText("forecast_call_prep", { forecastId: "net_bookings", timePeriod: "2026_Q4" }));
    const hygiene = requestOf(await promptText("forecast_hygiene", { forecastId: "net_bookings", timePeriod: "2026_Q4" }));
    expect(prep).toEqual(hygiene);
    expect(prep).toEqual({ forecastId: "net_bookings", timePeriod: "2026_Q4" });

    const now = new Date();
    const current = `${now.getUTCFullYear()}_Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    const before = h.sandbox.stats().jobsCreated;
    const call = async (args: Record<string, unknown>) => {
      const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { ...args, waitSeconds: 30 } });
      expect(result.isError, textOf(result)).toBeFalsy();
      return (result.structuredContent as { outcome: string; jobId: string });
    };
    const first = await call(requestOf(await promptText("forecast_call_prep", { forecastId: "renewals", timePeriod: current })));
    const second = await call(requestOf(await promptText("forecast_hygiene", { forecastId: "renewals", timePeriod: current })));
    const byDefault = await call({ forecastId: "renewals", timePeriod: current });
    expect(first.outcome).toBe("done");
    expect([second.outcome, byDefault.outcome]).toEqual(["reused", "reused"]);
    expect(new Set([first.jobId, second.jobId, byDefault.jobId]).size).toBe(1);
    expect(h.sandbox.stats().jobsCreated - before).toBe(1);
  });

  it("the shared export holds every week so far, which the week-over-week steps need", async () => {
    const text = await promptText("forecast_call_prep");
    expect(text).toMatch(/includeHistorical true/);
    expect(z.object(ALL_TOOLS.find((t) => t.name === "clari_export_forecast")!.inputSchema).parse({ forecastId: "x" })).toMatchObject({ includeHistorical: true });
  });
});
