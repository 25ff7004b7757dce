/**
 * A stored export whose file was cut short on disk (a full disk, a crash of another tool, a hand
 * edit) is never reused as the answer: the export is asked of Clari again, and the answer says why;
 * after a restart the query tables leave it out and say so.
 */
import { mkdtemp, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, textOf, type Harness } from "../helpers/harness.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";

let h: Harness;
let sandbox: Sandbox;
let cacheDir: string;
let damaged = "";

beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), "clari-damaged-"));
  sandbox = await startSandbox({ users: 20, seed: 5, jobDurationMs: 50 });
  h = await startHarness({ existingSandbox: sandbox, cacheDir });
}, 60_000);
afterAll(async () => {
  await h.close();
  await sandbox.close();
});

async function exportTab(): Promise<{ jobId: string; outcome: string; text: string }> {
  const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 30 } });
  const out = result.structuredContent as { jobId: string; outcome: string };
  return { ...out, text: textOf(result) };
}

describe("a stored file cut short on disk", () => {
  it("is not reused: the export is asked again, and the answer says the stored one was damaged", async () => {
    const first = await exportTab();
    expect(first.outcome).toBe("done");
    const again = await exportTab();
    expect(again.outcome, again.text).toBe("reused");
    expect(h.sandbox.stats().jobsCreated).toBe(1);

    const [folder] = (await readdir(cacheDir)).filter((n) => /^[0-9a-f]{16}$/.test(n));
    const file = path.join(cacheDir, folder!, "files", first.jobId);
    const { size } = await stat(file);
    await truncate(file, Math.floor(size / 2));

    damaged = first.jobId;
    const third = await exportTab();
    expect(third.outcome, third.text).toBe("done");
    expect(third.jobId).not.toBe(first.jobId);
    expect(third.text).toContain(`The stored file of export ${first.jobId} is damaged`);
    expect(h.sandbox.stats().jobsCreated).toBe(2);
  });

  it("is left out of the query tables, with a warning naming it, after a restart", async () => {
    await h.close();
    // The same folder again; the generation kept beside it is dropped so the engine reads the files.
    const [folder] = (await readdir(cacheDir)).filter((n) => /^[0-9a-f]{16}$/.test(n));
    await rm(path.join(cacheDir, folder!, "query"), { recursive: true, force: true });
    h = await startHarness({ existingSandbox: sandbox, cacheDir });
    const result = await h.client.callTool({ name: "clari_query", arguments: { sql: "SELECT export_id FROM exports ORDER BY finished_at" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { rows: unknown[][]; warnings?: string[] };
    expect(out.rows.flat()).not.toContain(damaged);
    expect(out.rows).toHaveLength(1);
    expect((out.warnings ?? []).join("\n")).toMatch(new RegExp(`Export ${damaged} could not be read and is left out: its stored file no longer holds`));
  });
});
