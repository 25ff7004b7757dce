/** The journal of jobs in flight, canonical request keys, and a journal the disk refuses. */
import { mkdir, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { requestKey } from "../../src/exports/jobs/request-key.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { startHarness, storeFolder, tempDir, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await cleanup?.();
  cleanup = undefined;
});

describe("request keys", () => {
  it("treat lists of values as sets and ignore key order and absent values", () => {
    const a = requestKey("forecast", { forecastId: "net_bookings", typesToExport: ["quota", "forecast"], scopeId: undefined });
    const b = requestKey("forecast", { typesToExport: ["forecast", "quota", "forecast"], forecastId: "net_bookings" });
    expect(a).toBe(b);
    expect(requestKey("forecast", { forecastId: "net_arr" })).not.toBe(requestKey("forecast", { forecastId: "net_bookings" }));
    expect(requestKey("audit", { forecastId: "net_bookings" })).not.toBe(requestKey("forecast", { forecastId: "net_bookings" }));
  });
});

describe("a journal the disk refuses", () => {
  it("refuses the request with nothing queued, and says why and what to do", async () => {
    const folder = await tempDir();
    const sandbox = await startSandbox({ jobDurationMs: 300 });
    cleanup = async () => {
      await sandbox.close();
      await folder.remove();
    };
    // A file where the journal's folder should be: every write to it fails, retries included.
    const store = storeFolder(folder.dir, sandbox);
    await mkdir(store, { recursive: true });
    await writeFile(`${store}/journal`, "not a folder");
    h = await startHarness({ cacheDir: folder.dir, existingSandbox: sandbox });
    const result = await h.client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", waitSeconds: 20 } });
    expect(result.isError).toBe(true);
    const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");
    expect(text).toMatch(/^Could not record the request, nothing was queued: E\w+/);
    expect(text).toMatch(/then ask again/);
    expect(text).not.toContain(folder.dir);
    expect(h.sandbox.stats().jobsCreated).toBe(0);
    expect(h.sandbox.stats().byRoute["POST /v4/export/forecast/{forecastId}"]).toBeUndefined();
  });
});
