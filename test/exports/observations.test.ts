/** Audit pages and opportunity lookups read through the tools are kept, on disk and scrubbed. */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, storeFolder, tempDir, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await h?.close();
  await cleanup?.();
});

describe("observations", () => {
  it("keeps each audit page and opportunity lookup the tools read, as 0600 files", async () => {
    const folder = await tempDir();
    cleanup = folder.remove;
    h = await startHarness({ cacheDir: folder.dir });
    const page = await h.client.callTool({ name: "clari_list_audit_events", arguments: { limit: 5 } });
    expect(page.isError).toBeFalsy();
    const raw = await h.clari.listAuditEvents({ limit: 5 });
    const kept = await h.deps.observations.auditPages();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.data.items.map((i) => i.eventTimestamp)).toEqual(raw.items.map((i) => i.eventTimestamp));

    const oppIds = (await h.clari.getOpportunities(["006000000000001AAA"]).catch(() => [])).map((o) => o.id ?? o.oppId).filter(Boolean);
    const lookup = await h.client.callTool({ name: "clari_get_opportunities", arguments: { oppIds: ["006000000000001AAA", ...oppIds].slice(0, 1) } });
    expect(lookup.isError).toBeFalsy();
    expect(await h.deps.observations.opportunityLookups()).toHaveLength(1);

    const seen = path.join(storeFolder(folder.dir, h.sandbox), "seen");
    const files = await readdir(seen);
    expect(files.filter((f) => f.startsWith("audit-"))).toHaveLength(1);
    for (const f of files) expect((await stat(path.join(seen, f))).mode & 0o777).toBe(0o600);
  });
});
