/** One cache folder, two credentials: each sees only its own exports. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createRuntime } from "../../src/deps.js";
import { requestKey } from "../../src/exports/jobs/request-key.js";
import { silentLogger } from "../../src/logger.js";
import { tempDir } from "../helpers/harness.js";

describe("the export store across credentials", () => {
  it("keeps one org's (or user's) exports away from another's", async () => {
    const cache = await tempDir();
    const runtime = async (key: string) =>
      createRuntime(loadConfig(["--cache-dir", cache.dir], { CLARI_API_KEY: key, CLARI_BASE_URL: "http://127.0.0.1:9/v4" }), silentLogger);
    const orgA = await runtime("key-of-org-a");
    await orgA.deps.store.save(
      { jobId: "aaaaaaaaaaaaaaaaaaaaaaaa", kind: "forecast", requestKey: requestKey("forecast", { forecastId: "net_bookings" }), request: {}, mimeType: "application/json", completedAt: Date.now(), expiresAt: Date.now() + 86_400_000 },
      "{}",
    );
    const orgB = await runtime("key-of-org-b");
    expect(orgB.deps.store.list()).toEqual([]);
    const orgAAgain = await runtime("key-of-org-a");
    expect(orgAAgain.deps.store.list().map((e) => e.jobId)).toEqual(["aaaaaaaaaaaaaaaaaaaaaaaa"]);
    for (const r of [orgA, orgB, orgAAgain]) await r.close();
    await cache.remove();
  });
});
