/** clari_get_export_results: pages of a stored export's rows, as the export file the sandbox serves has them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportAuditEvents } from "../../src/tools/catalog/export-audit-events.js";
import { getExportResults } from "../../src/tools/catalog/get-export-results.js";
import type { RawAudit } from "../answers/raw-data.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { call, raw } from "./tool-call.js";

let h: Harness;
let jobId: string;
let file: RawAudit;
beforeAll(async () => {
  h = await startHarness();
  jobId = (await call(h, exportAuditEvents, { waitSeconds: 30 })).out.jobId;
  file = await raw<RawAudit>("GET", `${h.sandbox.v4Url}/export/jobs/${jobId}/results`);
});
afterAll(() => h.close());

describe("clari_get_export_results", () => {
  it("pages through an audit export in the file's order, to its last row", async () => {
    const pageSize = 200;
    const pages = Math.ceil(file.items.length / pageSize);
    expect(pages).toBeGreaterThan(1);
    const seen: Array<Record<string, unknown>> = [];
    for (let page = 1; page <= pages; page++) {
      const { out } = await call(h, getExportResults, { jobId, page, pageSize });
      expect(out).toMatchObject({ jobId, kind: "audit", page, pageSize, totalRows: file.items.length });
      expect(out.nextPage).toBe(page < pages ? page + 1 : undefined);
      seen.push(...out.rows);
    }
    expect(seen.map((r) => [r.event, r.actorId, Date.parse(r.eventTimestamp as string)])).toEqual(file.items.map((i) => [i.event, i.actorId, Date.parse(i.eventTimestamp)]));
  });

  it("answers a page past the end with no rows and no next page", async () => {
    const { out, text } = await call(h, getExportResults, { jobId, page: 1000, pageSize: 10 });
    expect(out).toMatchObject({ totalRows: file.items.length, rows: [] });
    expect(out.nextPage).toBeUndefined();
    expect(text).toContain(`of ${file.items.length}`);
  });
});
