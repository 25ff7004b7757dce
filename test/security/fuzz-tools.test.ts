/**
 * Property-based fuzzing of every tool's input through the MCP client (in-memory, real server,
 * real sandbox over loopback). For each tool: mutations of a valid argument object (wrong types,
 * missing fields, huge strings, unicode, ids with "/", "..", "%2F", "?", "#", CR/LF, NUL) and
 * arbitrary JSON objects. Properties:
 * - the server never crashes: every call answers, and tools/list works afterwards;
 * - an input the tool's zod schema rejects gets an isError result naming what is wrong, and no
 *   request reaches Clari;
 * - an input the schema accepts gets an answer that is not an unclassified ("failed unexpectedly")
 *   or output-validation failure.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProtocolError } from "@modelcontextprotocol/client";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { INJECTION_IDS, REMOVE, VALID_ARGS, WRONG_VALUES, hostileValue, overTheWire, pathsOf, withValueAt } from "./inputs.js";

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ flags: ["--wait-seconds", "0"], sandbox: { jobDurationMs: 200, concurrentLimit: 50 } });
});
afterAll(() => h?.close());

type Args = Record<string, unknown>;

/** Arguments for one tool: mutations of its valid example, or arbitrary objects. */
function argsFor(toolName: string, shape: z.ZodRawShape): fc.Arbitrary<unknown> {
  const valid = VALID_ARGS[toolName]!;
  const paths = [...pathsOf(valid), ...Object.keys(shape).filter((k) => !(k in valid)).map((k) => [k])];
  const mutation = (base: fc.Arbitrary<unknown>) =>
    paths.length === 0
      ? base
      : fc
          .tuple(base, fc.constantFrom(...paths), fc.oneof({ weight: 5, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant<unknown>(REMOVE) }))
          .map(([root, path, value]) => {
            // A path may no longer exist after an earlier mutation: then leave the object as is.
            try {
              return withValueAt(root, path, value);
            } catch {
              return root;
            }
          });
  const oneMutation = mutation(fc.constant(valid));
  return fc.oneof(
    { weight: 5, arbitrary: oneMutation },
    { weight: 2, arbitrary: mutation(mutation(oneMutation)) },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }) },
    {
      weight: 1,
      arbitrary: fc.record({ extra: fc.string(), value: hostileValue }).map(({ extra, value }) => ({ ...valid, [extra]: value })),
    },
  );
}

interface Outcome {
  isError: boolean;
  text: string;
  protocolError?: ProtocolError;
}

async function call(name: string, args: unknown): Promise<Outcome> {
  try {
    const result = await h.client.callTool({ name, arguments: args as Args });
    return { isError: result.isError === true, text: textOf(result) };
  } catch (error) {
    if (error instanceof ProtocolError) return { isError: true, text: error.message, protocolError: error };
    throw error;
  }
}

/** The words a user needs: the name of a field at fault, or the schema's own message. */
function namesTheProblem(text: string, issues: z.core.$ZodIssue[]): boolean {
  return issues.some((issue) => {
    const top = issue.path[0];
    return (top !== undefined && text.includes(String(top))) || text.includes(issue.message);
  });
}

describe("every tool, fuzzed through the MCP client", () => {
  it("has a valid example for every tool in the catalogue, accepted by its schema", () => {
    for (const tool of ALL_TOOLS) {
      const example = VALID_ARGS[tool.name];
      expect(example, `${tool.name} needs an entry in VALID_ARGS`).toBeDefined();
      const parsed = z.object(tool.inputSchema).safeParse(example);
      expect(parsed.success, `${tool.name}: ${parsed.error?.message}`).toBe(true);
    }
  });

  for (const tool of ALL_TOOLS) {
    it(`${tool.name}: rejects invalid input without calling Clari, and never crashes`, async () => {
      const schema = z.object(tool.inputSchema);
      let invalid = 0;
      await fc.assert(
        fc.asyncProperty(argsFor(tool.name, tool.inputSchema), async (generated) => {
          const args = overTheWire(generated) as Args;
          const verdict = schema.safeParse(args);
          // A valid input that would queue a job waits for nothing: keeps the property fast.
          if (verdict.success && "waitSeconds" in tool.inputSchema) args.waitSeconds = 0;
          const before = h.sandbox.stats().requests;
          const out = await call(tool.name, args);
          const sent = h.sandbox.stats().requests - before;
          if (!verdict.success) {
            invalid++;
            expect(out.isError, `accepted invalid input ${JSON.stringify(args).slice(0, 300)}`).toBe(true);
            expect(out.text).toMatch(/Input validation error|Invalid arguments/);
            expect(namesTheProblem(out.text, verdict.error.issues), `error does not say what is wrong: ${out.text.slice(0, 300)}`).toBe(true);
            expect(sent, `invalid input reached Clari: ${JSON.stringify(args).slice(0, 300)}`).toBe(0);
          } else {
            expect(out.protocolError, out.text).toBeUndefined();
            expect(out.text.length).toBeGreaterThan(0);
            expect(out.text, `unclassified failure for ${JSON.stringify(args).slice(0, 300)}`).not.toMatch(/failed unexpectedly|Output validation error/);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      if (Object.keys(tool.inputSchema).length > 0) expect(invalid, "the generator should mostly produce invalid input").toBeGreaterThan(0);
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name)).toContain(tool.name);
    });
  }

  it("answers arguments that are not an object with a protocol error, and keeps serving", async () => {
    const before = h.sandbox.stats().requests;
    for (const args of [[], [1, 2], "jobId", 42, null, true]) {
      for (const name of ["clari_get_export_job", "clari_get_limits", "clari_export_forecast"]) {
        const out = await call(name, args);
        expect(out.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      }
    }
    expect(h.sandbox.stats().requests).toBe(before);
    expect((await h.client.listTools()).tools.length).toBe(ALL_TOOLS.length);
  });

  it("answers an unknown tool name with an error naming it", async () => {
    for (const name of ["clari_nope", "../clari_get_limits", "clari_get_limits\u0000", "x".repeat(10_000)]) {
      const out = await call(name, {});
      expect(out.isError).toBe(true);
      expect(out.text).toContain(name.slice(0, 50));
    }
    expect((await h.client.listTools()).tools.length).toBe(ALL_TOOLS.length);
  });

  it("survives a burst of concurrent invalid calls across every tool", async () => {
    const before = h.sandbox.stats().requests;
    const samples = fc.sample(fc.constantFrom(...ALL_TOOLS.filter((t) => Object.keys(t.inputSchema).length > 0)), { numRuns: 60, seed: 7 });
    const results = await Promise.all(samples.map((tool, i) => call(tool.name, { [Object.keys(tool.inputSchema)[0]!]: i % 2 ? { nested: [i] } : "\r\n".repeat(i) })));
    for (const r of results) expect(r.isError).toBe(true);
    expect(h.sandbox.stats().requests).toBe(before);
    expect((await h.client.listTools()).tools.length).toBe(ALL_TOOLS.length);
  });
});

describe("the query engine, resources, prompts and completions, fuzzed", () => {
  let jobs: string[] = [];
  beforeAll(async () => {
    jobs = [];
    for (const args of [
      { forecastId: "net_bookings", includeHistorical: true, typesToExport: ["forecast", "quota", "forecast_updated", "adjustment"], waitSeconds: 20 },
      { forecastId: "net_arr", exportFormat: "CSV", waitSeconds: 20 },
    ]) {
      const result = await h.client.callTool({ name: "clari_export_forecast", arguments: args });
      const { jobId, outcome } = result.structuredContent as { jobId: string; outcome: string };
      expect(outcome, textOf(result)).toMatch(/done|reused/);
      jobs.push(jobId);
    }
  });

  it("clari_query answers any text as SQL without an unclassified failure, and never goes back to Clari", async () => {
    const fragments = fc.constantFrom(
      "SELECT", "*", "FROM", "forecast", "people", "exports", "audit_events", "WHERE", "value", "> 0", "GROUP BY", "field", "ORDER BY", "1", "LIMIT",
      "(", ")", ";", "'", "--", "/*", "read_csv('/etc/passwd')", "DROP TABLE forecast", "COPY", "PRAGMA", "SET", "__proto__", "$1", "?",
    );
    const sql = fc.oneof(fc.array(fragments, { minLength: 1, maxLength: 8 }).map((p) => p.join(" ")), fc.string({ minLength: 1, maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(sql, fc.integer({ min: 1, max: 500 }), async (text, limit) => {
        const before = h.sandbox.stats().requests;
        const out = await call("clari_query", { sql: text, limit });
        expect(out.text, text).not.toMatch(/failed unexpectedly|Output validation error/);
        expect(out.protocolError, out.text).toBeUndefined();
        expect(h.sandbox.stats().requests).toBe(before);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it("resources/read of arbitrary URIs never crashes, and never reaches a route that changes anything", async () => {
    const segment = fc.oneof(fc.constantFrom(...INJECTION_IDS.map(encodeURIComponent), ...jobs, "1", "0", "-1", "1e3", "NaN", "%", "%zz", "%E0%A4%A"), fc.string({ maxLength: 10 }));
    const uri = fc.oneof(
      segment.map((a) => `clari://exports/${a}`),
      fc.tuple(segment, segment).map(([a, b]) => `clari://exports/${a}/rows/${b}`),
      segment.map((a) => `clari://forecasts/${a}/latest`),
      segment.map((a) => `clari://audit/events/page/${a}`),
      fc.string({ maxLength: 30 }).map((a) => `clari://${a}`),
      fc.string({ maxLength: 30 }),
    );
    const before = h.sandbox.stats().byRoute;
    await fc.assert(
      fc.asyncProperty(uri, async (u) => {
        await h.client.readResource({ uri: u }).catch((error: unknown) => {
          expect(error, u).toBeInstanceOf(ProtocolError);
        });
      }),
      { numRuns: NUM_RUNS * 2 },
    );
    const after = h.sandbox.stats().byRoute;
    const reached = Object.keys(after).filter((k) => (after[k] ?? 0) > (before[k] ?? 0));
    expect(reached.filter((r) => !r.startsWith("GET ")), reached.join(", ")).toEqual([]);
    expect((await h.client.listTools()).tools.length).toBe(ALL_TOOLS.length);
  });

  it("prompts/get and completion/complete take hostile values without a crash or a request to Clari", async () => {
    const before = h.sandbox.stats().requests;
    const { prompts } = await h.client.listPrompts();
    expect(prompts.length).toBeGreaterThan(0);
    const strings = WRONG_VALUES.filter((v): v is string => typeof v === "string");
    for (const prompt of prompts) {
      for (const value of strings) {
        const args = Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, value]));
        await h.client.getPrompt({ name: prompt.name, arguments: args }).catch((error: unknown) => expect(error).toBeInstanceOf(ProtocolError));
      }
    }
    for (const value of strings) {
      for (const ref of [
        { type: "ref/resource" as const, uri: "clari://exports/{jobId}", argument: "jobId" },
        { type: "ref/resource" as const, uri: "clari://forecasts/{forecastId}/latest", argument: "forecastId" },
      ]) {
        const done = await h.client.complete({ ref: { type: ref.type, uri: ref.uri }, argument: { name: ref.argument, value } }).catch((error: unknown) => {
          expect(error).toBeInstanceOf(ProtocolError);
          return undefined;
        });
        if (done) expect(done.completion.values.length).toBeLessThanOrEqual(100);
      }
    }
    expect(h.sandbox.stats().requests).toBe(before);
    expect((await h.client.listTools()).tools.length).toBe(ALL_TOOLS.length);
  });
});
