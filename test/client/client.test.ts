/**
 * The real ClariClient against the sandbox over loopback HTTP: every operation's success path,
 * every documented error turned into a ClariApiError with a useful message, both response shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClariClient } from "../../src/client/clari-client.js";
import { ClariConfigError } from "../../src/client/errors.js";
import { waitForJob } from "../../src/client/jobs.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { apiError, startClariClient } from "../helpers/clari.js";

let sandbox: Sandbox;
let client: ClariClient;

beforeAll(async () => {
  sandbox = await startSandbox({ jobDurationMs: 150 });
  client = await startClariClient(sandbox);
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

/** Audit events inside the API's default window (the last 30 days). */
const window = { dateFrom: new Date(Date.now() - 20 * 86_400_000).toISOString(), dateTo: new Date(Date.now() - 86_400_000).toISOString() };
const recentAuditEvents = (): number => sandbox.org.auditEvents().filter((e) => e.time >= Date.parse(window.dateFrom) && e.time <= Date.parse(window.dateTo)).length;

const fast = { timeoutMs: 10_000, poll: { firstPollMs: 50, intervalMs: 50 } };

describe("forecast exports and jobs", () => {
  it("queues a forecast export, polls it to DONE and reads its results", async () => {
    const { jobId } = await client.exportForecast("net_bookings", { typesToExport: ["forecast", "quota"] });
    expect(jobId).toMatch(/^[0-9a-f]{24}$/);
    const wait = await waitForJob(client, "export", jobId, fast);
    expect(wait.outcome).toBe("done");
    expect(wait.status).toBe("DONE");
    const job = await client.getExportJob(jobId);
    expect(job).toMatchObject({ jobId, status: "DONE", module: "FORECAST" });
    expect(job.expiredTime! - job.endTime!).toBe(30 * 24 * 3600 * 1000);
    const results = await client.getExportResults(jobId);
    let text = "";
    for await (const chunk of results.body) text += String(chunk);
    const parsed = JSON.parse(text) as { entries: unknown[]; users: unknown[] };
    expect(parsed.entries.length).toBeGreaterThan(0);
    expect(parsed.users.length).toBe(sandbox.org.users.length);
  });

  it("lists jobs and reads limits that account for them", async () => {
    const jobs = await client.listExportJobs();
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.jobId && j.status)).toBe(true);
    const limits = await client.getLimits();
    expect(limits.monthlyQuota).toBe(1000);
    expect(limits.availableMonthlyQuota).toBe(1000 - sandbox.stats().quotaUsed);
  });

  it("cancels a running job, freeing its quota, and refuses to cancel a DONE one", async () => {
    const before = sandbox.stats().quotaUsed;
    const { jobId } = await client.exportForecast("net_arr");
    expect(sandbox.stats().quotaUsed).toBe(before + 1);
    const cancelled = await client.cancelExportJob(jobId);
    expect(cancelled).toMatchObject({ status: "CANCELLED", successful: true });
    expect(sandbox.stats().quotaUsed).toBe(before);

    const done = await client.exportForecast("renewals");
    await waitForJob(client, "export", done.jobId, fast);
    const error = await apiError(client.cancelExportJob(done.jobId));
    expect(error.code).toBe("export_failed_to_cancel");
    expect(error.hint).toMatch(/already finished/);
  });

  it("reads the synchronous forecast, including crm_total", async () => {
    const data = (await client.getForecast("net_bookings", { typesToExport: ["forecast", "crm_total"] })) as { entries: Array<Record<string, unknown>> };
    expect(data.entries.length).toBeGreaterThan(0);
    expect(data.entries.some((e) => typeof e.aggregationTotal === "number")).toBe(true);
  });

  it("turns every export-family error into a ClariApiError with a hint", async () => {
    const unknown = await apiError(client.exportForecast("no_such_tab"));
    expect(unknown).toMatchObject({ status: 400, code: "no_such_forecast_config", family: "export" });
    expect(unknown.hint).toMatch(/Forecast Tab/);
    expect(unknown.errorId).toBeTruthy();

    const crm = await apiError(client.exportForecast("net_bookings", { typesToExport: ["crm_total"] }));
    expect(crm.code).toBe("type_not_supported");
    expect(crm.hint).toMatch(/GET \/forecast\/\{forecastId\}/);

    // A job that never finishes (stuck from its creation): its results are asked before DONE, however loaded the machine.
    sandbox.setFaults({ stuckJobs: true });
    const { jobId } = await client.exportForecast("net_bookings", { timePeriod: "2026_Q1" }).finally(() => sandbox.setFaults({ stuckJobs: false }));
    const early = await apiError(client.getExportResultsJson(jobId));
    expect(early.code).toBe("invalid_jobId");
    await client.cancelExportJob(jobId); // its concurrency slot back for the tests that follow

    const missing = await apiError(client.getExportJob("ffffffffffffffffffffffff"));
    expect(missing.status).toBe(404);
  });

  it("reports a wrong API key as 401 with a hint and without the key", async () => {
    const bad = new ClariClient({ apiKey: "wrong-key-ABCDEF123", v4BaseUrl: sandbox.v4Url, v2BaseUrl: sandbox.v2Url });
    const error = await apiError(bad.getLimits());
    expect(error.status).toBe(401);
    expect(error.hint).toMatch(/CLARI_API_KEY/);
    expect(`${error.message} ${error.hint}`).not.toContain("wrong-key-ABCDEF123");
    await bad.close();
  });

  it("refuses to call without a key, before any request", async () => {
    const before = sandbox.stats().requests;
    const keyless = new ClariClient({ v4BaseUrl: sandbox.v4Url, v2BaseUrl: sandbox.v2Url });
    await expect(keyless.getLimits()).rejects.toBeInstanceOf(ClariConfigError);
    const noPartner = new ClariClient({ apiKey: "sandbox", v4BaseUrl: sandbox.v4Url, v2BaseUrl: sandbox.v2Url });
    await expect(noPartner.getIngestJob("abc")).rejects.toThrow(/CLARI_PARTNER_KEY/);
    expect(sandbox.stats().requests).toBe(before);
  });
});

describe("quota and concurrency", () => {
  it("reports the monthly quota and the concurrency limit as quota errors", async () => {
    const tight = await startSandbox({ monthlyQuota: 2, concurrentLimit: 1, jobDurationMs: 60_000 });
    const c = await startClariClient(tight);
    await c.exportForecast("net_bookings");
    const concurrent = await apiError(c.exportForecast("net_arr"));
    expect(concurrent.code).toBe("export_monthly_quota_reached");
    expect(concurrent.isQuotaError).toBe(true);
    expect(concurrent.hint).toMatch(/GET \/admin\/limits/);
    const limits = await c.getLimits();
    expect(limits.availableConcurrentLimit).toBe(0);
    expect(limits.runningJobIds).toHaveLength(1);
    await c.close();
    await tight.close();
  });
});

describe("audit, opportunity, activity", () => {
  it("pages audit events to the end through nextLink", async () => {
    let page = await client.listAuditEvents({ limit: 50, ...window });
    let total = page.items.length;
    let pages = 1;
    while (page.nextLink) {
      page = await client.listAuditEvents({ nextLink: page.nextLink });
      total += page.items.length;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1);
    expect(total).toBe(recentAuditEvents());
  });

  it("refuses a nextLink that points anywhere but the configured Clari", async () => {
    await expect(client.listAuditEvents({ nextLink: "http://evil.example/v4/audit/events?cursor=1" })).rejects.toBeInstanceOf(ClariConfigError);
    await expect(client.listAuditEvents({ nextLink: `${sandbox.v4Url}/admin/limits` })).rejects.toBeInstanceOf(ClariConfigError);
  });

  it("rejects an audit limit over 1000 with the audit error family", async () => {
    const error = await apiError(client.listAuditEvents({ limit: 5000 }));
    expect(error.family).toBe("audit");
    expect(error.status).toBe(400);
  });

  it("exports audit events and activities as jobs with JSON results", async () => {
    const audit = await client.exportAuditEvents(window);
    expect((await waitForJob(client, "export", audit.jobId, fast)).outcome).toBe("done");
    const auditJson = (await client.getExportResultsJson(audit.jobId)) as { items: unknown[]; actors: unknown[] };
    expect(auditJson.items.length).toBe(recentAuditEvents());

    const activity = await client.exportActivity({ activityTypes: ["MEETING"] });
    expect((await waitForJob(client, "export", activity.jobId, fast)).outcome).toBe("done");
    const activityJson = (await client.getExportResultsJson(activity.jobId)) as { activities: Array<{ activityType: string }> };
    expect(activityJson.activities.length).toBeGreaterThan(0);
    expect(activityJson.activities.every((a) => a.activityType === "MEETING")).toBe(true);
  });

  it("gets opportunities by id, and refuses more than 100 with the opportunity error family", async () => {
    const ids = sandbox.org.opportunities().slice(0, 3).map((o) => o.oppId);
    const opportunities = await client.getOpportunities(ids);
    expect(opportunities.map((o) => o.id ?? o.oppId).sort()).toEqual([...ids].sort());
    expect(opportunities[0]!.crmScore?.score).toEqual(expect.any(Number));
    const tooMany = await apiError(client.getOpportunities(Array.from({ length: 101 }, (_, i) => `006000000000000${String(i).padStart(3, "0")}`)));
    expect(tooMany.family).toBe("opportunity");
  });
});

describe("ingest", () => {
  const now = Date.now();
  const dataset = (n: number, updatedAt = now) => [{ sourceEntity: "health", records: Array.from({ length: n }, (_, i) => ({ id: `001Z000000xOn4b${String(i).padStart(3, "0")}`, createdAt: now - 1000, updatedAt, score: i })) }];

  it("upserts records, refuses more than 100 and updatedAt before createdAt", async () => {
    const ok = await client.ingestRecords("account", dataset(3));
    expect(ok.status).toBe(200);
    const tooMany = await apiError(client.ingestRecords("account", dataset(101)));
    expect(tooMany).toMatchObject({ family: "ingest", code: "INVALID_INPUT_FORMAT" });
    const backwards = await apiError(client.ingestRecords("account", dataset(1, now - 5000)));
    expect(backwards.message).toMatch(/updatedAt/);
  });

  it("bulk-uploads a JSON file and polls the ingest job to SUCCESS", async () => {
    const { jobId } = await client.ingestBulk("account", { content: JSON.stringify(dataset(5)) });
    const wait = await waitForJob(client, "ingest", jobId, fast);
    expect(wait.outcome).toBe("done");
    expect(wait.status).toBe("SUCCESS");
    const job = await client.getIngestJob(jobId);
    expect(job.status).toBe("SUCCESS");
  });

  it("refuses a non-JSON file, an oversized file and a bad partner key", async () => {
    const notJson = await apiError(client.ingestBulk("account", { content: "id,name\n1,a", fileName: "data.csv" }));
    expect(notJson.code).toBe("INVALID_FILE_FORMAT");
    const big = await apiError(client.ingestBulk("account", { content: Buffer.alloc(10 * 1024 * 1024 + 10, 32) }));
    expect([400, 413]).toContain(big.status);
    const wrongPartner = await startClariClient(sandbox, { partnerKey: "not-the-partner-key" });
    const refused = await apiError(wrongPartner.getPicklistValues("account"));
    expect(refused.status).toBe(401);
    expect(refused.hint).toMatch(/CLARI_PARTNER_KEY/);
    await wrongPartner.close();
  });

  it("adds and reads picklist values", async () => {
    await client.addPicklistValues("account", { fieldName: "lifecycleStage", fieldType: "picklist", values: ["Gold", "Silver"] });
    const values = await client.getPicklistValues("account", ["lifecycleStage"]);
    expect(values.lifecycleStage).toEqual(expect.arrayContaining(["Gold", "Silver"]));
    const unknown = await apiError(client.addPicklistValues("account", { fieldName: "noSuchField", fieldType: "picklist", values: ["x"] }));
    expect(unknown.message).toMatch(/not defined in schema/);
  });
});

describe("response shapes", () => {
  it("reads the spec's bare job object and job array as well as the wrapped ones", async () => {
    const bare = await startSandbox({ shape: "bare", jobDurationMs: 50 });
    const c = await startClariClient(bare);
    const raw = await fetch(`${bare.v4Url}/export/jobs`, { headers: { apikey: "sandbox" } }).then((r) => r.json());
    const { jobId } = await c.exportForecast("net_bookings");
    const rawJob = await fetch(`${bare.v4Url}/export/jobs/${jobId}`, { headers: { apikey: "sandbox" } }).then((r) => r.json());
    expect(Array.isArray(raw)).toBe(true);
    expect(rawJob).toHaveProperty("jobId", jobId);
    expect((await c.getExportJob(jobId)).jobId).toBe(jobId);
    expect((await c.listExportJobs()).map((j) => j.jobId)).toContain(jobId);
    await c.close();
    await bare.close();
  });
});

describe("prepare", () => {
  it("loads the HTTP stack without opening a connection, and the first call then works", async () => {
    const { createServer } = await import("node:net");
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    const idle = new ClariClient({ v4BaseUrl: `http://127.0.0.1:${port}/v4`, v2BaseUrl: `http://127.0.0.1:${port}/v2`, apiKey: "sandbox" });
    const dispatcherOf = (client: ClariClient) => (client.http as unknown as { dispatcher?: Promise<unknown> }).dispatcher;
    try {
      expect(dispatcherOf(idle)).toBeUndefined();
      await idle.prepare();
      // Made now, not by the first call; and nothing was sent.
      expect(await dispatcherOf(idle)).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toBe(0);
    } finally {
      await idle.close();
      listener.close();
    }
    // A client closed before its prepare fires (a server stopped within half a second) makes nothing again.
    const closed = new ClariClient({ v4BaseUrl: `http://127.0.0.1:${port}/v4`, v2BaseUrl: `http://127.0.0.1:${port}/v2`, apiKey: "sandbox" });
    await closed.close();
    await closed.prepare();
    expect(dispatcherOf(closed)).toBeUndefined();
    const requests = sandbox.stats().requests;
    const fresh = await startClariClient(sandbox);
    try {
      await fresh.prepare();
      expect(sandbox.stats().requests).toBe(requests);
      expect((await fresh.getLimits()).monthlyQuota).toBe(1000);
      expect(sandbox.stats().requests).toBe(requests + 1);
    } finally {
      await fresh.close();
    }
  });
});
