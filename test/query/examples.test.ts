/**
 * Every documented example (docs/QUERY.md's, clari_query's description's and the SQL the prompts
 * hand out) names its tab and period, runs, and gives the numbers of one tab's one export: the same
 * answer with only net_bookings stored, with renewals stored beside it, and after a second export
 * of net_bookings (and a second forecast read of each). The sandbox's clock stands on a Wednesday,
 * when no call moves between exports.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query } from "../../src/tools/catalog/query.js";
import { midWeek } from "../answers/clock.js";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";

const DOC_PERIOD = "'2026_Q4'";
const TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];

let h: Harness;
let period: string;
const clock = midWeek();

/** The SQL of docs/QUERY.md's Examples section: one statement per `;`, comments dropped. */
function docExamples(): string[] {
  const doc = readFileSync(new URL("../../docs/QUERY.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Examples"), doc.indexOf("## Notes on the tables"));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split(/;\s*\n/)
    .map((s) => s.split("\n").filter((line) => !line.startsWith("--")).join("\n").trim())
    .filter((s) => s !== "");
}

function descriptionExamples(): string[] {
  return [/e\.g\. (SELECT .+)\.$/.exec(query.description)![1]!];
}

async function promptExamples(): Promise<string[]> {
  const out: string[] = [];
  for (const name of ["forecast_call_prep", "forecast_hygiene"]) {
    const prompt = await h.client.getPrompt({ name, arguments: { forecastId: "net_bookings", timePeriod: period } });
    const text = prompt.messages.map((m) => (m.content.type === "text" ? m.content.text : "")).join("\n");
    for (const line of text.split("\n")) {
      const at = line.indexOf("SELECT ");
      if (at >= 0) out.push(line.slice(at));
    }
  }
  return out;
}

async function stage(forecastId: string, fresh = false): Promise<void> {
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId, includeHistorical: true, typesToExport: TYPES, waitSeconds: 30, fresh } });
  expect((result.structuredContent as { outcome: string }).outcome, textOf(result)).toBe("done");
  const read = await h.client.callTool({ name: "clari_get_forecast", arguments: { forecastId } });
  expect(read.isError, textOf(read)).toBeFalsy();
}

async function run(sql: string): Promise<{ rows: unknown[][]; warnings: string[] }> {
  const result = await h.client.callTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  expect(result.isError, `${sql}\n${textOf(result)}`).toBeFalsy();
  const out = result.structuredContent as { rows: unknown[][]; warnings?: string[] };
  return { rows: out.rows, warnings: out.warnings ?? [] };
}

/** A row as compared across stages: the export's own id left out, sums rounded past float noise (their order may differ). */
const comparable = (rows: unknown[][]) =>
  rows.map((r) => r.filter((c) => !/^[0-9a-f]{24}$/.test(String(c))).map((c) => (typeof c === "number" ? Math.round(c * 1e4) / 1e4 : c)));

let examples: string[];
/** mcp_calls holds this server's own tool calls, which grow with every stage: it only has to answer. */
const forecastExamples = () => examples.filter((sql) => !/\bmcp_calls\b/.test(sql));
const first = new Map<string, unknown[][]>();

beforeAll(async () => {
  h = await startHarness({ sandbox: { users: 60, seed: 17, jobDurationMs: 50, now: clock } });
  await stage("net_bookings");
  const audit = await h.client.callTool({ name: "clari_export_audit_events", arguments: { waitSeconds: 30 } });
  expect(audit.isError, textOf(audit)).toBeFalsy();
  const periods = await run("SELECT DISTINCT time_period FROM forecast");
  period = String(periods.rows[0]![0]);
  // The documents name a period of their own and the engine's clock is not the sandbox's: both are the sandbox's here.
  const now = `TIMESTAMPTZ '${new Date(clock()).toISOString()}'`;
  const fit = (sql: string) => sql.replaceAll(DOC_PERIOD, `'${period}'`).replaceAll("now()", now);
  examples = [...docExamples(), ...descriptionExamples(), ...(await promptExamples())].map(fit);
}, 120_000);
afterAll(() => h.close());

describe("documented examples", () => {
  it("are there, each naming its tab and period", () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
    for (const sql of forecastExamples()) {
      expect(sql, sql).toContain("'net_bookings'");
      expect(sql, sql).toContain(`'${period}'`);
    }
  });

  it("answer with one tab stored, each with rows", async () => {
    for (const sql of examples) {
      const { rows, warnings } = await run(sql);
      expect(rows.length, sql).toBeGreaterThan(0);
      expect(warnings.filter((w) => !/had begun/.test(w)), `${sql}\n${warnings.join("\n")}`).toEqual([]);
      first.set(sql, rows);
    }
  });

  it("give the same numbers with a second tab stored", async () => {
    await stage("renewals");
    for (const sql of forecastExamples()) {
      const { rows, warnings } = await run(sql);
      expect(comparable(rows), sql).toEqual(comparable(first.get(sql)!));
      expect(warnings.filter((w) => !/had begun/.test(w)), `${sql}\n${warnings.join("\n")}`).toEqual([]);
    }
  });

  it("give the same numbers after a second export of the same tab", async () => {
    await stage("net_bookings", true);
    const exports = await run("SELECT count(*) FROM exports WHERE forecast_id = 'net_bookings'");
    expect(exports.rows[0]![0]).toBe(2);
    for (const sql of forecastExamples()) {
      const { rows, warnings } = await run(sql);
      expect(comparable(rows), sql).toEqual(comparable(first.get(sql)!));
      expect(warnings.filter((w) => !/had begun/.test(w)), `${sql}\n${warnings.join("\n")}`).toEqual([]);
    }
  });
});
