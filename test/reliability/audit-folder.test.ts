/**
 * Budgets and the audit trail on the default state, a local folder: two processes on one folder
 * (stdio's one user, --export-budget 1/day) asked for the last unit at the same moment give it to
 * exactly one, under the folder's lock; the audit trail is a file per day (0600, in a 0700 folder)
 * with a row per call of both processes; and no key is anywhere in the folder, in any encoding,
 * even when a call's arguments carried it.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodingsOf, findLeaks } from "../helpers/key-encodings.js";
import { startFakeClari, type FakeClari } from "./fake-clari.js";
import { EXPORT_TOOL, forecastArgs, nextUtcMidnight, startServer, stopAll, storeDir, tempDir } from "./server-process.js";

let fake: FakeClari;
beforeAll(async () => {
  fake = await startFakeClari({ jobMs: 1000 });
});
afterEach(() => stopAll());
afterAll(() => fake?.close());

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

describe("budgets and the audit trail in a folder", () => {
  it("gives the last unit to one of two processes; records both processes' calls in a private file per day; keeps no key", async () => {
    await nextUtcMidnight();
    const cacheDir = await tempDir();
    const [one, two] = await Promise.all([startServer(fake, { cacheDir, flags: ["--export-budget", "1/day"] }), startServer(fake, { cacheDir, flags: ["--export-budget", "1/day"] })]);
    const posts = fake.posts().length;
    const both = await Promise.all([one.call(EXPORT_TOOL, { ...forecastArgs(0), timePeriod: "2026_Q1" }), two.call(EXPORT_TOOL, { ...forecastArgs(0), timePeriod: "2026_Q2" })]);
    expect(both.filter((r) => r.answer?.isError === false), both.map((r) => r.answer?.text).join("\n")).toHaveLength(1);
    expect(both.filter((r) => /Your export budget allows|Your export budget is spent: 1 of 1\/day/.test(r.answer?.text ?? ""))).toHaveLength(1);
    expect(fake.posts().length - posts).toBe(1);

    // A query whose SQL carries the key in every encoding (string literals: it runs).
    const literals = Object.values(encodingsOf(fake.apiKey)).map((form) => `'${form.replace(/'/g, "''")}'`);
    const asked = await one.call("clari_query", { sql: `SELECT ${literals.join(", ")}` });
    expect(asked.answer?.isError, asked.answer?.text).toBe(false);

    const store = await storeDir(cacheDir);
    const auditDir = path.join(store, "audit");
    const days = await readdir(auditDir);
    expect(days).toEqual([`${new Date().toISOString().slice(0, 10)}.jsonl`]);
    expect((await stat(auditDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(auditDir, days[0]!))).mode & 0o777).toBe(0o600);
    const rows = (await readFile(path.join(auditDir, days[0]!), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { caller: string; tool: string; outcome: string; quotaSpent: number });
    expect(rows.map((r) => [r.caller, r.tool, r.outcome, r.quotaSpent]).sort()).toEqual([
      ["", "clari_export_forecast", "error", 0],
      ["", "clari_export_forecast", "ok", 1],
      ["", "clari_query", "ok", 0],
    ]);
    expect(JSON.parse(await readFile(path.join(store, "budgets", "spent.json"), "utf8"))).toEqual({ [JSON.stringify(["", `day:${new Date().toISOString().slice(0, 10)}`])]: { spent: 1, end: expect.any(Number) } });
    for (const file of await filesUnder(store)) expect(findLeaks(await readFile(file, "latin1"), fake.apiKey), file).toEqual([]);
  });
});
