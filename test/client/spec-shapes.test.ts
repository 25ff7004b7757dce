/**
 * The client and the tools against a loopback Clari that answers with exactly the example bodies
 * of the API contract (clari-openapi.yaml): the ingest job's 200/202/400/500 and the opportunity
 * errors as the spec describes them. The bodies below are copied from the spec; they are the
 * contract, so they are not tidied up (the stray quotes in two errorSummary texts are Clari's).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import { ClariClient } from "../../src/client/clari-client.js";
import { waitForJob } from "../../src/client/jobs.js";
import { API_KEY, PARTNER_KEY, apiError } from "../helpers/clari.js";
import { harnessPerTest, textOf } from "../helpers/harness.js";
import { timeContext, timeContextLine } from "../../src/tools/kit/time-context.js";

// ---- The spec's examples: GET /ingest/job/{jobId} ----

const JOB_ID = "64eef062b1a00d40e5f0bac5";

const INGEST_JOB_200 = {
  message: {
    jobId: "64eef062b1a00d40e5f0bac5",
    orgId: 1234,
    userId: 12345,
    module: "DATA_INGESTION",
    submittedTime: 1231244212310,
    startTime: 1231244212322,
    endTime: 1231244212340,
    title: "Data Ingestion",
    fileName: "file.json",
    status: "SUCCESS",
    message: "Ingestion successfully completed.",
  },
};

const INGEST_JOB_202 = {
  message: {
    jobId: "64eef062b1a00d40e5f0bac5",
    orgId: 1234,
    userId: 12345,
    module: "DATA_INGESTION",
    submittedTime: 1231244212310,
    startTime: 1231244212322,
    endTime: null,
    title: "Data Ingestion",
    fileName: "file.json",
    status: "IN_PROGRESS",
    message: "Bulk ingestion job is in progress",
  },
};

const INGEST_JOB_400 = {
  message: {
    jobId: "64eef062b1a00d40e5f0bac5",
    orgId: 1234,
    userId: 12345,
    module: "DATA_INGESTION",
    submittedTime: 1231244212310,
    startTime: 1231244212322,
    endTime: 1231244212340,
    title: "Data Ingestion",
    fileName: "file.json",
    status: "VALIDATION_ERROR",
    message: [
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Failed validation for data at path: /email 12345 is not of type 'string'" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Failed validation for data at path: /quantity Value -5 is less than or equal to the minimum of 0'" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Failed validation for data at path: / updatedAt should be greater than or equal to createdAt'" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Payload is not an array" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "sourceEntity is missing dataSet <index>" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "records is missing for dataSet <index>" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "No entries have valid accountId for the domains" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Primary key field <field name> is missing" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Field <field name> is missing" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Duplicate record with value <field value> for primary key field <field name>" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Duplicate record with value <field value> for primary key field <field name>" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Field <field name> value <field value> is not a valid date" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Field <field name> type <field type> does not match expected type <expected name>" },
      { errorCode: "INVALID_INPUT_FORMAT", errorSummary: "Field <field name> length exceeds max length of <max length>" },
    ],
  },
};

const INGEST_JOB_500 = {
  message: {
    jobId: "64eef062b1a00d40e5f0bac5",
    orgId: 1234,
    userId: 12345,
    module: "DATA_INGESTION",
    submittedTime: 1231244212310,
    startTime: 1231244212322,
    endTime: 1231244212340,
    title: "Data Ingestion",
    fileName: "file.json",
    status: "FAILED",
    message: "Bulk ingestion job failed. Please retry ingestion.",
  },
};

const INGEST_JOB_404 = { error: "Bulk ingestion job not found. Please provide correct jobId." };

/** POST /ingest/bulk/entity/{entity} 202. */
const INGEST_BULK_202 = { jobId: "64eef062b1a00d40e5f0bac5" };

// ---- The spec's examples: GET /opportunity (4XX and 5XX, as its descriptions give them) ----

const OPPORTUNITY_4XX = { statusCode: 400, reaspnPhrase: "Bad Request", description: "invalid query parameter", details: "oppId is required" };
const OPPORTUNITY_5XX = { statusCode: 500, reaspnPhrase: "Server Error", description: "NullPointerException", details: "Cannot initialize ExternalOpportunityResource" };

/** The reason the 400 example reads as: "errorCode: errorSummary", each once, joined. */
const VALIDATION_REASON = [...new Set(INGEST_JOB_400.message.message.map((e) => `${e.errorCode}: ${e.errorSummary}`))].join("; ");

// ---- The mock ----

interface Reply {
  status: number;
  body: unknown;
}

let server: Server;
let baseUrl: string;
/** What GET /ingest/job/{jobId} answers, one reply per poll (the last one repeats). */
let ingestJobReplies: Reply[] = [];
let opportunityReply: Reply = { status: 200, body: [] };
const hits: string[] = [];

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", baseUrl);
  hits.push(`${req.method} ${url.pathname}`);
  if (req.method === "GET" && url.pathname.startsWith("/v2/ingest/job/")) {
    const reply = ingestJobReplies.length > 1 ? ingestJobReplies.shift()! : ingestJobReplies[0];
    return send(res, reply ?? { status: 404, body: INGEST_JOB_404 });
  }
  if (req.method === "POST" && url.pathname.startsWith("/v2/ingest/bulk/entity/")) return send(res, { status: 202, body: INGEST_BULK_202 });
  if (req.method === "GET" && url.pathname === "/v4/opportunity") return send(res, opportunityReply);
  send(res, { status: 404, body: { error: "not found" } });
}

const hitsOf = (prefix: string): number => hits.filter((h) => h.startsWith(prefix)).length;

let client: ClariClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => route(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = newClient();
});

afterAll(async () => {
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  hits.length = 0;
  ingestJobReplies = [];
});

function newClient(): ClariClient {
  return new ClariClient({
    apiKey: API_KEY,
    partnerKey: PARTNER_KEY,
    v4BaseUrl: `${baseUrl}/v4`,
    v2BaseUrl: `${baseUrl}/v2`,
    retry: { maxRetries: 3, minDelayMs: 20, maxDelayMs: 200 },
  });
}

const fast = { timeoutMs: 5000, poll: { firstPollMs: 20, intervalMs: 20 } };

describe("GET /ingest/job/{jobId} with the spec's example bodies", () => {
  it("200 SUCCESS: the string message is the reason", async () => {
    ingestJobReplies = [{ status: 200, body: INGEST_JOB_200 }];
    const job = await client.getIngestJob(JOB_ID);
    expect(job).toMatchObject({ jobId: JOB_ID, status: "SUCCESS", message: "Ingestion successfully completed.", reason: "Ingestion successfully completed." });
  });

  it("202 IN_PROGRESS: a running job with its message", async () => {
    ingestJobReplies = [{ status: 202, body: INGEST_JOB_202 }];
    const job = await client.getIngestJob(JOB_ID);
    expect(job).toMatchObject({ jobId: JOB_ID, status: "IN_PROGRESS", reason: "Bulk ingestion job is in progress" });
    expect(job.endTime).toBeUndefined();
  });

  it("400 VALIDATION_ERROR: the job comes back with its status, jobId and every validation error as the reason", async () => {
    ingestJobReplies = [{ status: 400, body: INGEST_JOB_400 }];
    const job = await client.getIngestJob(JOB_ID);
    expect(job.status).toBe("VALIDATION_ERROR");
    expect(job.jobId).toBe(JOB_ID);
    expect(job.message).toEqual(INGEST_JOB_400.message.message);
    expect(job.reason).toBe(VALIDATION_REASON);
    expect(job.reason).toMatch(/^INVALID_INPUT_FORMAT: Failed validation for data at path: \/email 12345 is not of type 'string'; /);
    expect(job.reason).toContain("INVALID_INPUT_FORMAT: Field <field name> length exceeds max length of <max length>");
    expect(job.reason!.match(/Duplicate record/g)).toHaveLength(1);
  });

  it("500 FAILED: the job's answer, not a server error", async () => {
    ingestJobReplies = [{ status: 500, body: INGEST_JOB_500 }];
    const job = await client.getIngestJob(JOB_ID);
    expect(job).toMatchObject({ jobId: JOB_ID, status: "FAILED", reason: "Bulk ingestion job failed. Please retry ingestion." });
  });

  it("404: still an error, with the spec's text", async () => {
    ingestJobReplies = [{ status: 404, body: INGEST_JOB_404 }];
    const error = await apiError(client.getIngestJob(JOB_ID));
    expect(error.status).toBe(404);
    expect(error.message).toContain("Bulk ingestion job not found. Please provide correct jobId.");
  });

  it("an error body that is a job still running is an error that names the job", async () => {
    const running = { message: { ...INGEST_JOB_202.message, status: "IN_PROGRESS" } };
    ingestJobReplies = [{ status: 400, body: running }];
    const error = await apiError(client.getIngestJob(JOB_ID));
    expect(error).toMatchObject({ status: 400, code: "IN_PROGRESS", family: "ingest" });
    expect(error.job?.jobId).toBe(JOB_ID);
    expect(error.message).toContain(`ingest job ${JOB_ID} is IN_PROGRESS: Bulk ingestion job is in progress`);
  });
});

describe("waitForJob on the spec's ingest job bodies", () => {
  it("ends a wait as failed on 400 VALIDATION_ERROR, with the reason, after one poll", async () => {
    ingestJobReplies = [
      { status: 202, body: INGEST_JOB_202 },
      { status: 400, body: INGEST_JOB_400 },
    ];
    const wait = await waitForJob(client, "ingest", JOB_ID, fast);
    expect(wait).toMatchObject({ jobId: JOB_ID, outcome: "failed", status: "VALIDATION_ERROR", transientErrors: 0, attempts: 2 });
    expect(wait.job?.reason).toBe(VALIDATION_REASON);
    expect(hitsOf("GET /v2/ingest/job/")).toBe(2);
  });

  it("ends a wait as failed on 500 FAILED instead of polling on", async () => {
    ingestJobReplies = [{ status: 500, body: INGEST_JOB_500 }];
    const wait = await waitForJob(client, "ingest", JOB_ID, fast);
    expect(wait).toMatchObject({ jobId: JOB_ID, outcome: "failed", status: "FAILED", transientErrors: 0, attempts: 1 });
    expect(wait.job?.reason).toBe("Bulk ingestion job failed. Please retry ingestion.");
    expect(hitsOf("GET /v2/ingest/job/")).toBe(1);
  });

  it("rides out a 500 that is not a job's answer", async () => {
    ingestJobReplies = [
      { status: 500, body: { error: "Internal Server Error" } },
      { status: 200, body: INGEST_JOB_200 },
    ];
    const wait = await waitForJob(client, "ingest", JOB_ID, fast);
    expect(wait).toMatchObject({ outcome: "done", status: "SUCCESS", transientErrors: 1 });
  });
});

describe("GET /opportunity errors as the spec describes them", () => {
  it("4XX as one object keeps its description and details", async () => {
    opportunityReply = { status: 400, body: OPPORTUNITY_4XX };
    const error = await apiError(client.getOpportunities(["005Z00000038x09IAA"]));
    expect(error).toMatchObject({ status: 400, code: "bad_request", family: "opportunity" });
    expect(error.message).toContain("invalid query parameter: oppId is required");
  });

  it("5XX as one object keeps its description and details", async () => {
    opportunityReply = { status: 500, body: OPPORTUNITY_5XX };
    const error = await apiError(client.getOpportunities(["005Z00000038x09IAA"]));
    expect(error).toMatchObject({ status: 500, code: "server_error", family: "opportunity" });
    expect(error.message).toContain("NullPointerException: Cannot initialize ExternalOpportunityResource");
  });

  it("4XX as the schema's array reads the same", async () => {
    opportunityReply = { status: 400, body: [OPPORTUNITY_4XX] };
    const error = await apiError(client.getOpportunities(["005Z00000038x09IAA"]));
    expect(error).toMatchObject({ status: 400, code: "bad_request", family: "opportunity" });
    expect(error.message).toContain("invalid query parameter: oppId is required");
  });
});

describe("the tools show the reason (MCP protocol, against the same mock)", () => {
  const harness = harnessPerTest();
  /** The real server and MCP client, the Clari client pointed at the mock (the harness's own sandbox stays unused). */
  const connect = async (): Promise<Client> => (await harness({ client: { v4BaseUrl: `${baseUrl}/v4`, v2BaseUrl: `${baseUrl}/v2` } })).client;

  it("clari_get_ingest_job shows a VALIDATION_ERROR job's reason and keeps the errors as structured content", async () => {
    const mcp = await connect();
    ingestJobReplies = [{ status: 400, body: INGEST_JOB_400 }];
    const result = await mcp.callTool({ name: "clari_get_ingest_job", arguments: { jobId: JOB_ID } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(`Ingest job ${JOB_ID}: VALIDATION_ERROR (${VALIDATION_REASON}).\n${timeContextLine(timeContext())}`);
    const job = (result.structuredContent as { job: Record<string, unknown> }).job;
    expect(job).toMatchObject({ jobId: JOB_ID, status: "VALIDATION_ERROR", reason: VALIDATION_REASON });
    expect(job.message).toEqual(INGEST_JOB_400.message.message);
  });

  it("clari_wait_for_job kind:ingest reports a 500 FAILED job as failed with its reason", async () => {
    const mcp = await connect();
    ingestJobReplies = [{ status: 500, body: INGEST_JOB_500 }];
    const result = await mcp.callTool({ name: "clari_wait_for_job", arguments: { jobId: JOB_ID, kind: "ingest", waitSeconds: 10 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`^Ingest job ${JOB_ID}: FAILED after \\d+s\\. Bulk ingestion job failed\\. Please retry ingestion\\.\\nToday is \\d{4}-\\d{2}-\\d{2} \\(UTC\\); current quarter \\d{4}_Q\\d\\.$`));
    expect(result.structuredContent).toMatchObject({ jobId: JOB_ID, outcome: "failed", status: "FAILED" });
    expect(hitsOf("GET /v2/ingest/job/")).toBe(1);
  });

  it("clari_ingest_bulk reports a VALIDATION_ERROR upload with every validation error", async () => {
    const mcp = await connect();
    ingestJobReplies = [{ status: 400, body: INGEST_JOB_400 }];
    const result = await mcp.callTool({
      name: "clari_ingest_bulk",
      arguments: { entity: "account", datasets: [{ sourceEntity: "Account", records: [{ id: "1", createdAt: 1, updatedAt: 1 }] }], waitSeconds: 10 },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`Bulk ingest ${JOB_ID} for account: VALIDATION_ERROR. ${VALIDATION_REASON}\n${timeContextLine(timeContext())}`);
    expect(result.structuredContent).toMatchObject({ jobId: JOB_ID, status: "VALIDATION_ERROR", outcome: "failed", message: VALIDATION_REASON });
  });

  it("clari_get_opportunities words a single-object error with its description and details", async () => {
    const mcp = await connect();
    opportunityReply = { status: 400, body: OPPORTUNITY_4XX };
    const result = await mcp.callTool({ name: "clari_get_opportunities", arguments: { oppIds: ["005Z00000038x09IAA"] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("HTTP 400 (bad_request): invalid query parameter: oppId is required");
  });
});
