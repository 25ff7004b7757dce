/**
 * A schema snapshot per tool (test/tools/__toolsnaps__/<tool_name>.snap.json): each tool's whole
 * tools/list entry as a client receives it, checked in, so a review shows which tool's contract
 * changed. A difference fails naming the tool; `UPDATE_TOOLSNAPS=1 npx vitest run test/tools`
 * rewrites the snapshots (keys sorted, so a rewrite shows only what changed).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import type { Tool } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDeepStrictEqual } from "node:util";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const FOLDER = new URL("./__toolsnaps__/", import.meta.url);
const UPDATE = process.env.UPDATE_TOOLSNAPS === "1" || process.env.UPDATE_TOOLSNAPS === "true";
const fileOf = (name: string) => new URL(`${name}.snap.json`, FOLDER);

/** JSON with every object's keys sorted. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
}

/** Why a tool's live entry does not match its snapshot, naming the tool; undefined when it does. */
function snapshotMismatch(entry: Tool, snapshot: unknown): string | undefined {
  if (isDeepStrictEqual(sorted(JSON.parse(JSON.stringify(entry))), sorted(snapshot))) return undefined;
  const changed = [...new Set([...Object.keys(entry), ...Object.keys(snapshot as object)])].filter(
    (key) => !isDeepStrictEqual(sorted((entry as Record<string, unknown>)[key]), sorted((snapshot as Record<string, unknown>)[key])),
  );
  return `${entry.name}: its tools/list entry differs from test/tools/__toolsnaps__/${entry.name}.snap.json in ${changed.join(", ")}. If the change is meant, run UPDATE_TOOLSNAPS=1 npx vitest run test/tools and commit the snapshot.`;
}

let h: Harness;
let listed: Map<string, Tool>;
beforeAll(async () => {
  h = await startHarness(); // with the partner key: every tool is listed
  listed = new Map((await h.client.listTools()).tools.map((t) => [t.name, t]));
});
afterAll(() => h.close());

describe("tool schema snapshots", () => {
  it("lists every tool of the catalogue", () => {
    expect([...listed.keys()].sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
  });

  for (const { name } of ALL_TOOLS) {
    it(`${name} is listed exactly as its snapshot`, () => {
      const entry = listed.get(name)!;
      if (UPDATE) {
        mkdirSync(FOLDER, { recursive: true });
        writeFileSync(fileOf(name), `${JSON.stringify(sorted(entry), null, 2)}\n`);
      }
      if (!existsSync(fileOf(name))) throw new Error(`${name}: no snapshot at test/tools/__toolsnaps__/${name}.snap.json; run UPDATE_TOOLSNAPS=1 npx vitest run test/tools and commit it.`);
      const mismatch = snapshotMismatch(entry, JSON.parse(readFileSync(fileOf(name), "utf8")));
      if (mismatch) throw new Error(mismatch);
    });
  }

  it("keeps no snapshot of a tool that is gone", () => {
    const files = readdirSync(FOLDER).filter((f) => f.endsWith(".snap.json"));
    expect(files.sort()).toEqual(ALL_TOOLS.map((t) => `${t.name}.snap.json`).sort());
  });

  it("fails, naming the tool, when only a description changed", () => {
    const entry = listed.get("clari_get_limits")!;
    const snapshot = JSON.parse(readFileSync(fileOf(entry.name), "utf8")) as unknown;
    expect(snapshotMismatch(entry, snapshot)).toBeUndefined();
    const changed = { ...entry, description: `${entry.description} Now also makes coffee.` };
    expect(snapshotMismatch(changed, snapshot)).toMatch(/^clari_get_limits: .* differs .* in description\. If the change is meant, run UPDATE_TOOLSNAPS=1/);
    const deeper = JSON.parse(JSON.stringify(listed.get("clari_export_forecast"))) as Tool;
    (deeper.inputSchema.properties!.forecastId as { description: string }).description = "Something else";
    expect(snapshotMismatch(deeper, JSON.parse(readFileSync(fileOf(deeper.name), "utf8")))).toMatch(/^clari_export_forecast: .* in inputSchema\./);
  });
});
