import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { PARTNER, call, clock, get, post, sandbox } from "./helpers.js";

const record = (id: string, extra: Record<string, unknown> = {}) => ({ id, createdAt: 1303324502462, updatedAt: 1303324602462, ...extra });

function upload(sb: Sandbox, entity: string, file: { name: string; type?: string; content: string | Uint8Array }, query = "") {
  const fd = new FormData();
  fd.set("FileData", new Blob([file.content], file.type ? { type: file.type } : {}), file.name);
  return call(`${sb.v2Url}/ingest/bulk/entity/${entity}${query}`, { method: "POST", headers: PARTNER, body: fd });
}

describe("ingest (v2)", () => {
  it("accepts up to 100 records synchronously (the spec's example payload)", async () => {
    const sb = await sandbox();
    const payload = [
      { sourceEntity: "sourceEntityB", records: [record("001Z000000xOn4bIAA", { adoptionDate: "2022-10-01T07:00:00Z", openSuccessPlan: "yes" })] },
      { sourceEntity: "sourceEntityA", records: [record("001Z000000xOn4bIAC", { healthScore: 88, nps: 13, csm: "USD", lifecycleStage: "early", mrr: 5146000, trend: "Up" })] },
    ];
    const r = await post(`${sb.v2Url}/ingest/entity/account?mode=incremental`, payload, PARTNER);
    expect(r.status).toBe(200);
    expect(sb.stats().ingestedRecords).toBe(2);
    const bare = await sandbox({ shape: "bare" });
    const rb = await post(`${bare.v2Url}/ingest/entity/opportunity`, [{ sourceEntity: "x", records: [record("006A")] }], PARTNER);
    expect(rb.status).toBe(200);
    expect(rb.text).toBe("");
  });

  it("more than 100 records -> 400 INVALID_INPUT_FORMAT", async () => {
    const sb = await sandbox();
    const records = Array.from({ length: 101 }, (_, i) => record(`001Z${String(i).padStart(14, "0")}`));
    const r = await post(`${sb.v2Url}/ingest/entity/account`, [{ sourceEntity: "s", records }], PARTNER);
    expect(r.status).toBe(400);
    expect(r.json).toEqual([{ errorCode: "INVALID_INPUT_FORMAT", errorSummary: "The number of records limit to 100" }]);
  });

  it("updatedAt < createdAt and other record errors -> 400 with every error", async () => {
    const sb = await sandbox();
    const r = await post(
      `${sb.v2Url}/ingest/entity/account`,
      [{ sourceEntity: "s", records: [{ id: "001A", createdAt: 2000, updatedAt: 1000 }, { createdAt: 1, updatedAt: 1, nps: "high" }] }],
      PARTNER,
    );
    expect(r.status).toBe(400);
    const summaries = r.json.map((e: { errorSummary: string }) => e.errorSummary);
    expect(summaries).toContain("Failed validation for data at path: / updatedAt should be greater than or equal to createdAt");
    expect(summaries).toContain("Primary key field id is missing");
    expect(summaries.some((s: string) => s.includes("/nps"))).toBe(true);
    expect((await post(`${sb.v2Url}/ingest/entity/account`, { not: "array" }, PARTNER)).json[0].errorSummary).toBe("Payload is not an array");
    expect((await post(`${sb.v2Url}/ingest/entity/account?mode=sometimes`, [], PARTNER)).json[0].errorSummary).toMatch(/^Mode value is invalid/);
  });

  it("unknown entity -> 428 SCHEMA_MISSING", async () => {
    const sb = await sandbox();
    const r = await post(`${sb.v2Url}/ingest/entity/contact`, [], PARTNER);
    expect(r.status).toBe(428);
    expect(r.json[0].errorCode).toBe("SCHEMA_MISSING");
  });

  it("'initial' mode is refused after the last initial batch", async () => {
    const sb = await sandbox();
    const ok = await post(`${sb.v2Url}/ingest/entity/account?mode=initial&isLastBatch=true`, [{ sourceEntity: "s", records: [record("001A")] }], PARTNER);
    expect(ok.status).toBe(200);
    const again = await post(`${sb.v2Url}/ingest/entity/account?mode=initial`, [{ sourceEntity: "s", records: [record("001B")] }], PARTNER);
    expect(again.status).toBe(400);
    expect(again.json[0].errorSummary).toMatch(/^'Initial' mode is allowed only during initial ingestion/);
  });

  it("bulk upload: 202 jobId, then 202 while running and 200 SUCCESS", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 200 });
    const records = Array.from({ length: 250 }, (_, i) => record(`001B${String(i).padStart(14, "0")}`, { healthScore: i }));
    const r = await upload(sb, "account", { name: "data.json", type: "application/json", content: JSON.stringify([{ sourceEntity: "s", records }]) }, "?mode=incremental&isLastBatch=false");
    expect(r.status).toBe(202);
    const jobId = r.json.jobId;
    expect(jobId).toMatch(/^[0-9a-f]{24}$/);
    const status = () => get(`${sb.v2Url}/ingest/job/${jobId}`, PARTNER);
    let s = await status();
    expect(s.status).toBe(202);
    expect(s.json.message).toMatchObject({ jobId, status: "QUEUED", module: "DATA_INGESTION", title: "Data Ingestion", fileName: "data.json", endTime: null });
    c.advance(100);
    s = await status();
    expect(s.status).toBe(202);
    expect(s.json.message.status).toBe("IN_PROGRESS");
    c.advance(100);
    s = await status();
    expect(s.status).toBe(200);
    expect(s.json.message).toMatchObject({ status: "SUCCESS", message: "Ingestion successfully completed.", endTime: c.now() });
    expect(sb.stats().ingestedRecords).toBe(250);
  });

  it("bulk file that fails validation ends VALIDATION_FAILED (spec mode: 400 VALIDATION_ERROR)", async () => {
    for (const shape of ["wrapped", "bare"] as const) {
      const c = clock();
      const sb = await sandbox({ now: c.now, jobDurationMs: 10, shape });
      const r = await upload(sb, "account", { name: "bad.json", content: JSON.stringify([{ sourceEntity: "s", records: [{ id: "001A", createdAt: 5, updatedAt: 1 }] }]) });
      expect(r.status).toBe(202);
      c.advance(10);
      const s = await get(`${sb.v2Url}/ingest/job/${r.json.jobId}`, PARTNER);
      expect(s.status).toBe(shape === "bare" ? 400 : 200);
      expect(s.json.message.status).toBe(shape === "bare" ? "VALIDATION_ERROR" : "VALIDATION_FAILED");
      expect(s.json.message.message[0]).toMatchObject({ errorCode: "INVALID_INPUT_FORMAT" });
      expect(sb.stats().ingestedRecords).toBe(0);
    }
  });

  it("non-JSON file -> 400 INVALID_FILE_FORMAT; missing FileData -> 400", async () => {
    const sb = await sandbox();
    for (const file of [
      { name: "data.csv", content: "id,createdAt\n1,2\n" },
      { name: "data.json", content: "id,createdAt\n1,2\n" },
      { name: "data.json", type: "image/png", content: "[]" },
    ]) {
      const r = await upload(sb, "account", file);
      expect(r.status).toBe(400);
      expect(r.json).toEqual([{ errorCode: "INVALID_FILE_FORMAT", errorSummary: "Allowed file format is JSON only. Please try again with right format." }]);
    }
    const fd = new FormData();
    fd.set("Other", new Blob(["[]"]), "x.json");
    const r = await call(`${sb.v2Url}/ingest/bulk/entity/account`, { method: "POST", headers: PARTNER, body: fd });
    expect(r.status).toBe(400);
    expect(r.json[0].errorCode).toBe("INVALID_INPUT_FORMAT");
  });

  it("a file over 10 MB -> 413", async () => {
    const sb = await sandbox();
    const big = new Uint8Array(10 * 1024 * 1024 + 10).fill(0x20);
    big[0] = 0x5b; // "["
    big[big.length - 1] = 0x5d; // "]"
    const r = await upload(sb, "account", { name: "big.json", content: big });
    expect(r.status).toBe(413);
    expect(r.json[0].errorSummary).toMatch(/10 MB/);
  });

  it("unknown ingest job -> 404 {error}", async () => {
    const sb = await sandbox();
    const r = await get(`${sb.v2Url}/ingest/job/64eef062b1a00d40e5f0bac5`, PARTNER);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: "Bulk ingestion job not found. Please provide correct jobId." });
  });

  it("picklist schema values: add, read, validate", async () => {
    const sb = await sandbox();
    const url = `${sb.v2Url}/ingest/schema/account/field`;
    const add = await post(url, { fieldName: "isACustomerOf", fieldType: "MULTIPICKLIST", values: ["Customer2", "Customer3"] }, PARTNER);
    expect(add.status).toBe(200);
    expect(add.json).toEqual({ message: "picklist options have been updated successfully." });
    const read = await get(`${url}?fieldNames=isACustomerOf,trend`, PARTNER);
    expect(read.json).toEqual({ isACustomerOf: ["Customer1", "Customer2", "Customer3"], trend: ["Up", "Down", "Same"] });
    const all = await get(url, PARTNER);
    expect(Object.keys(all.json)).toContain("lifecycleStage");
    const errs = [
      [{ fieldName: "trend", fieldType: "text", values: ["a"] }, "FieldType is not supported. Supported FieldTypes are [picklist, multipicklist]"],
      [{ fieldName: "unknownField", fieldType: "picklist", values: ["a"] }, "Oops! unknownField is not defined in schema."],
      [{ fieldName: "trend", fieldType: "picklist", values: [] }, "One or more error in validating field details. Please provide picklist options."],
      [{ fieldType: "picklist", values: ["a"] }, "One or more error in validating field details. fieldName cannot be empty or null"],
    ] as const;
    for (const [body, summary] of errs) {
      const r = await post(url, body, PARTNER);
      expect(r.status).toBe(400);
      expect(r.json).toEqual([{ errorCode: "INVALID_INPUT_FORMAT", errorSummary: summary }]);
    }
    expect((await get(`${sb.v2Url}/ingest/schema/contact/field`, PARTNER)).json[0].errorCode).toBe("SCHEMA_MISSING");
  });

  it("ingest needs both keys: bad apikey -> 401 {error}, bad partnerkey -> 401 INVALID_PARTNER_KEY", async () => {
    const sb = await sandbox();
    const badKey = await post(`${sb.v2Url}/ingest/entity/account`, [], { apikey: "nope", partnerkey: "sandbox-partner" });
    expect(badKey.status).toBe(401);
    expect(badKey.json).toEqual({ error: "Invalid authentication credentials" });
    const badPartner = await post(`${sb.v2Url}/ingest/entity/account`, [], { apikey: "sandbox", partnerkey: "wrong-partner" });
    expect(badPartner.status).toBe(401);
    expect(badPartner.json).toEqual([{ errorCode: "INVALID_PARTNER_KEY", errorSummary: "Unauthorized PartnerKey" }]);
    const none = await get(`${sb.v2Url}/ingest/job/x`, { apikey: "sandbox" });
    expect(none.status).toBe(401);
    expect(badPartner.text).not.toContain("wrong-partner");
  });
});
