import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { type CanonicalEntry, FLAT_HEADER, type Sandbox } from "../../src/sandbox/index.js";
import { type Res, T0, call, clock, get, post, sandbox } from "./helpers.js";

const TYPES = ["forecast", "quota", "forecast_updated", "adjustment"];

/** Queue an export, finish it, and download its results. */
async function exportAndFetch(sb: Sandbox, forecastId: string, body: Record<string, unknown>): Promise<Res> {
  const q = await post(`${sb.v4Url}/export/forecast/${forecastId}`, body);
  expect(q.status).toBe(200);
  expect(q.json.jobId).toMatch(/^[0-9a-f]{24}$/);
  sb.finishJob(q.json.jobId);
  return get(`${sb.v4Url}/export/jobs/${q.json.jobId}/results`);
}

/** Canonical entries as comparable strings, values formatted as the flat shape does. */
const key = (userId: string, fieldId: string, week: string, type: string) => `${userId}|${fieldId}|${week}|${type}`;

function money(v: number, symbol = "$"): string {
  const s = `${symbol}${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return v < 0 ? `(${s})` : s;
}

function usDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${m}/${d}/${y}`;
}

const LABEL: Record<string, string> = {
  forecast: "Forecast Value",
  quota: "Quota Value",
  forecast_updated: "Forecast Updated",
  adjustment: "Adjustment Value",
};

function expectedRows(sb: Sandbox, entries: CanonicalEntry[], label: string, symbol = "$", rate = 1): string[] {
  return entries
    .map((e) => {
      const u = sb.org.user(e.userId);
      const value =
        typeof e.value === "boolean" ? (e.value ? "Yes" : "No") : money(Math.round(e.value * rate * 100) / 100, symbol);
      return [
        u?.name, u?.email, u?.crmId, u?.hierarchyName, u?.parentHierarchyName, label, e.fieldName,
        String(e.weekIndex), usDate(e.weekStart), usDate(e.weekEnd), LABEL[e.dataType], value,
      ].join("\u0001");
    })
    .sort();
}

describe("forecast export results", () => {
  it("JSON tables carry exactly org.forecastEntries (historical, all export types)", async () => {
    const c = clock();
    const sb = await sandbox({ now: c.now, jobDurationMs: 200 });
    const res = await exportAndFetch(sb, "net_bookings", { timePeriod: "2026_Q4", includeHistorical: true, typesToExport: TYPES });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const t = res.json;
    expect(Object.keys(t).sort()).toEqual(["entries", "fields", "timeFrames", "timePeriods", "users"]);
    expect(t.timePeriods).toEqual([
      { timePeriodId: "2026_Q4", type: "quarter", label: "Q4 2026", year: 2026, startDate: "2026-10-01", endDate: "2026-12-31" },
    ]);
    expect(t.timeFrames).toHaveLength(8);
    const frameIds = t.timeFrames.map((f: { timeFrameId: string }) => f.timeFrameId);
    expect(frameIds).not.toEqual([...frameIds].sort()); // weeks come back unordered
    expect(t.users).toHaveLength(40);
    expect(t.fields.map((f: { fieldName: string }) => f.fieldName)).toEqual(["Commit", "Most Likely", "Best Case", "Pipeline", "Quota"]);

    const expected = sb.org.forecastEntries("net_bookings", "2026_Q4", { includeHistorical: true, typesToExport: TYPES });
    const want = new Map<string, unknown>();
    for (const e of expected) want.set(key(e.userId, e.fieldId, `TF:${e.weekStart}`, e.dataType), e.value);
    const got = new Map<string, unknown>();
    for (const e of t.entries) {
      const k = (type: string) => key(e.userId, e.fieldId, e.timeFrameId, type);
      expect(e.timePeriodId).toBe("2026_Q4");
      expect(e.currency).toEqual({ code: "USD", symbol: "$" });
      if ("forecastValue" in e) got.set(k("forecast"), e.forecastValue);
      if ("quotaValue" in e) got.set(k("quota"), e.quotaValue);
      if ("isUpdated" in e) {
        got.set(k("forecast_updated"), e.isUpdated);
        if (e.isUpdated) {
          expect(e.updatedBy).toBe(e.userId);
          expect(typeof e.updatedOn).toBe("number");
        }
      }
      if ("adjustmentValue" in e) {
        got.set(k("adjustment"), e.adjustmentValue);
        expect(e.adjustedBy).toBe(sb.org.user(e.userId)?.managerUserId);
      }
    }
    expect(got).toEqual(want);
  });

  it("the flat array (spec mode) and CSV carry the same data", async () => {
    const sb = await sandbox({ now: clock().now, shape: "bare" });
    const expected = sb.org.forecastEntries("renewals", "2026_Q3", { includeHistorical: true, typesToExport: TYPES });
    const want = expectedRows(sb, expected, "Q3 2026");

    const flat = await exportAndFetch(sb, "renewals", { timePeriod: "2026_Q3", includeHistorical: true, typesToExport: TYPES });
    expect(Array.isArray(flat.json)).toBe(true);
    const arr: string[] = flat.json;
    expect(arr.slice(0, 12)).toEqual([...FLAT_HEADER]);
    expect(arr.length % 12).toBe(0);
    const flatRows: string[] = [];
    for (let i = 12; i < arr.length; i += 12) flatRows.push(arr.slice(i, i + 12).join("\u0001"));
    expect(flatRows.sort()).toEqual(want);

    const csv = await exportAndFetch(sb, "renewals", {
      timePeriod: "2026_Q3", includeHistorical: true, typesToExport: TYPES, exportFormat: "CSV",
    });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const records: string[][] = parse(csv.text);
    expect(records[0]).toEqual([...FLAT_HEADER]);
    expect(csv.text).toMatch(/"\$\d{1,3}(,\d{3})+\.\d{2}"/); // values with commas are quoted
    expect(records.slice(1).map((r) => r.join("\u0001")).sort()).toEqual(want);
  });

  it("formats negatives in parentheses, booleans Yes/No, and converts currency", async () => {
    const sb = await sandbox({ now: clock().now });
    const res = await exportAndFetch(sb, "net_arr", { resultShape: "flat", currency: "EUR" });
    const arr: string[] = res.json;
    const values = arr.filter((_, i) => i >= 12 && i % 12 === 11);
    expect(values.some((v) => /^\(€[\d,]+\.\d{2}\)$/.test(v))).toBe(true);
    expect(values.some((v) => v === "Yes")).toBe(true);
    expect(values.some((v) => v === "No")).toBe(true);
    const expected = sb.org.forecastEntries("net_arr", undefined, {});
    expect(arr.slice(12).length / 12).toBe(expected.length);
    const want = expectedRows(sb, expected, "Q4 2026", "€", 0.92);
    const rows: string[] = [];
    for (let i = 12; i < arr.length; i += 12) rows.push(arr.slice(i, i + 12).join("\u0001"));
    expect(rows.sort()).toEqual(want);
    const tables = await exportAndFetch(sb, "net_arr", { currency: "EUR" });
    expect(tables.json.entries[0].currency).toEqual({ code: "EUR", symbol: "€" });
  });

  it("scopes the export to a subtree and defaults to forecast + forecast_updated for the latest week", async () => {
    const sb = await sandbox({ now: clock().now });
    const vp = sb.org.users.find((u) => u.level === "VP");
    const res = await exportAndFetch(sb, "net_bookings", { scopeId: vp?.scopeId });
    const userIds = new Set(res.json.users.map((u: { userId: string }) => u.userId));
    expect(userIds.has(vp?.userId)).toBe(true);
    expect(userIds.has(sb.org.users[0]?.userId)).toBe(false);
    expect(res.json.timeFrames).toEqual([{ timeFrameId: "TF:2026-11-16", startDate: "2026-11-16", endDate: "2026-11-22" }]);
    const e = res.json.entries.find((x: { fieldId: string }) => x.fieldId === "commit");
    expect(e).toHaveProperty("forecastValue");
    expect(e).toHaveProperty("isUpdated");
    expect(e).not.toHaveProperty("quotaValue");
    expect(res.json.entries.some((x: { fieldId: string }) => x.fieldId === "quota")).toBe(false);
  });

  it("accepts parameters in the query string too", async () => {
    const sb = await sandbox({ now: clock().now });
    const q = await post(`${sb.v4Url}/export/forecast/net_bookings?timePeriod=2026_Q2&typesToExport=quota&exportFormat=CSV`);
    expect(q.status).toBe(200);
    const job = await get(`${sb.v4Url}/export/jobs/${q.json.jobId}`);
    expect(job.json.job.fileName).toMatch(/^clari_export_forecast_net_bookings_2026_Q2_20261119_150000\.csv$/);
    expect(job.json.job.fileType).toBe("CSV");
  });

  it("silently falls back to the current quarter for a bad timePeriod", async () => {
    const sb = await sandbox({ now: clock().now });
    for (const timePeriod of ["Q4-2026", "2031_Q1", "2019_Q1"]) {
      const res = await exportAndFetch(sb, "net_bookings", { timePeriod });
      expect(res.status).toBe(200);
      expect(res.json.timePeriods[0].timePeriodId).toBe("2026_Q4");
    }
  });
});

describe("forecast export errors", () => {
  const url = (sb: Sandbox, id = "net_bookings") => `${sb.v4Url}/export/forecast/${id}`;
  const expectExportError = (r: Res, status: number, code: string) => {
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ code, namespace: expect.any(String), message: expect.any(String) });
    expect(r.json.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof r.json.orgId).toBe("number");
  };

  it("unknown forecastId -> 400 no_such_forecast_config", async () => {
    const sb = await sandbox();
    const r = await post(url(sb, "deal_owner"), {});
    expectExportError(r, 400, "no_such_forecast_config");
    expect(r.json.message).toBe("Forecast deal_owner does not exist in the ForecastTemplate.");
  });

  it("missing forecastId -> 400 missing_forecast_id", async () => {
    const sb = await sandbox();
    expectExportError(await post(`${sb.v4Url}/export/forecast`, {}), 400, "missing_forecast_id");
    expectExportError(await post(`${sb.v4Url}/export/forecast/`, {}), 400, "missing_forecast_id");
  });

  it("crm_total / crm_closed on the export -> 400 type_not_supported", async () => {
    const sb = await sandbox();
    const r = await post(url(sb), { typesToExport: ["forecast", "crm_total"] });
    expectExportError(r, 400, "type_not_supported");
    expect(r.json.message).toMatch(/^CRM Totals and CRM Closed are not supported/);
    expectExportError(await post(url(sb), { typesToExport: ["crm_closed"] }), 400, "type_not_supported");
  });

  it("unknown typesToExport -> 400 bad_request listing them", async () => {
    const sb = await sandbox();
    const r = await post(url(sb), { typesToExport: ["forecast_value", "quota_value", "forecast"] });
    expectExportError(r, 400, "bad_request");
    expect(r.json.message).toBe('The following typesToExport values are invalid: ["forecast_value", "quota_value"]');
  });

  it("malformed body, bad currency, bad exportFormat -> 400 bad_request", async () => {
    const sb = await sandbox();
    const r = await call(url(sb), { method: "POST", headers: { apikey: "sandbox" }, body: "{not json" });
    expectExportError(r, 400, "bad_request");
    expect(r.json.message).toBe("The request body was malformed: {not json");
    const cur = await post(url(sb), { currency: "XYZ" });
    expectExportError(cur, 400, "bad_request");
    expect(cur.json.message).toBe("The currency parameter is invalid.");
    expectExportError(await post(url(sb), { exportFormat: "XML" }), 400, "bad_request");
    expectExportError(await post(url(sb), { includeHistorical: "maybe" }), 400, "bad_request");
    expectExportError(await post(url(sb), [1, 2]), 400, "bad_request");
    expect(sb.stats().jobsCreated).toBe(0);
  });

  it("a scopeId outside the org -> 401 no_optin", async () => {
    const sb = await sandbox();
    const r = await post(url(sb, "renewals"), { scopeId: "1::MGR" });
    expectExportError(r, 401, "no_optin");
    expect(r.json.message).toBe("No optins for scope 1::MGR for forecast 'renewals'.");
  });
});

describe("sync forecast read GET /v4/forecast/{forecastId}", () => {
  it("returns the latest week as JSON tables, with crm_total and crm_closed", async () => {
    const sb = await sandbox({ now: clock().now });
    const r = await get(`${sb.v4Url}/forecast/net_bookings?timePeriod=2026_Q4&typesToExport=forecast,crm_total&typesToExport=crm_closed`);
    expect(r.status).toBe(200);
    expect(r.json.timeFrames).toHaveLength(1);
    const expected = sb.org.forecastEntries("net_bookings", "2026_Q4", { typesToExport: ["forecast", "crm_total", "crm_closed"] });
    const commit = r.json.entries.find((e: { fieldId: string; userId: string }) => e.fieldId === "commit" && e.userId === sb.org.users[3]?.userId);
    const exp = (t: string) => expected.find((e) => e.fieldId === "commit" && e.userId === sb.org.users[3]?.userId && e.dataType === t)?.value;
    expect(commit.forecastValue).toBe(exp("forecast"));
    expect(commit.aggregationTotal).toBe(exp("crm_total"));
    expect(commit.closedTotal).toBe(exp("crm_closed"));
    expect(sb.stats().jobsCreated).toBe(0);
  });

  it("reports a fallback period and rejects unknown forecasts and types", async () => {
    const sb = await sandbox({ now: clock().now });
    const r = await get(`${sb.v4Url}/forecast/net_arr?timePeriod=nonsense`);
    expect(r.json.timePeriods[0].timePeriodId).toBe("2026_Q4");
    expect((await get(`${sb.v4Url}/forecast/nope`)).json.code).toBe("no_such_forecast_config");
    expect((await get(`${sb.v4Url}/forecast/net_arr?typesToExport=bogus`)).json.code).toBe("bad_request");
    expect((await get(`${sb.v4Url}/forecast`)).json.code).toBe("missing_forecast_id");
  });

  it("a past quarter gives its last week", async () => {
    const sb = await sandbox({ now: () => T0 });
    const r = await get(`${sb.v4Url}/forecast/net_bookings?timePeriod=2026_Q3`);
    expect(r.json.timeFrames[0].timeFrameId).toBe("TF:2026-09-28");
  });
});
