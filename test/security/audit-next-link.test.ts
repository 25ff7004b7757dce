/**
 * Audit page links from upstream are inputs like any other: a fake Clari on loopback answers the
 * first page of GET /audit/events with a nextLink of its choosing; the built binary (stdio) gives
 * it to the assistant as a cursor, and following that cursor sends the link only when its query
 * holds the operation's own parameters (clari-openapi.yaml, listAuditEvents) with values they
 * allow, each once, plus one page token. Otherwise the tool answers a clear error and Clari
 * receives nothing. A good link is sent with exactly its parameters.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStdioBinary, type StdioBinary } from "./binary.js";

let server: Server;
let base = "";
/** Query strings of every GET /v4/audit/events received, in order. */
const received: string[] = [];
let nextQuery = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    req.resume();
    if (url.pathname !== "/v4/audit/events") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "not_found", message: "no" }));
      return;
    }
    received.push(url.search);
    const item = { actorId: "1", actorType: "USER", sessionId: "fe795746-54b0-11ed-bdc3-0242ac120002", sessionType: "WEB", event: "login", ipAddress: "127.0.0.1", eventTimestamp: "2026-01-01T00:00:00Z" };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: [item], actors: [{ actorId: "1", name: "Ann" }], nextLink: `${base}/v4/audit/events${nextQuery}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function binary(): Promise<StdioBinary> {
  return startStdioBinary(["--no-cache"], { CLARI_API_KEY: "next-link-test-key", CLARI_BASE_URL: `${base}/v4`, CLARI_INGEST_BASE_URL: `${base}/v2` });
}

/** The first page (its cursor carries the link the fake chose), then the cursor followed. */
async function follow(bin: StdioBinary, query: string): Promise<{ sent: string[]; reply: { isError?: boolean; text: string } }> {
  nextQuery = query;
  const first = await bin.tool("clari_list_audit_events", { limit: 10 });
  const cursor = (first.result?.structuredContent as { nextCursor?: string } | undefined)?.nextCursor;
  if (!cursor) throw new Error(`no nextCursor: ${JSON.stringify(first)}`);
  const before = received.length;
  const second = await bin.tool("clari_list_audit_events", { cursor });
  const content = (second.result?.content as Array<{ text?: string }> | undefined) ?? [];
  return { sent: received.slice(before), reply: { isError: second.result?.isError as boolean | undefined, text: content.map((c) => c.text ?? "").join("\n") } };
}

const REFUSED: Array<[string, RegExp]> = [
  ["?limit=999999&injected=1&sessionType=NOT_AN_ENUM", /"limit" is not an integer from 1 to 1000/],
  ["?limit=50&injected=1", /carries "injected", which GET \/audit\/events does not take/],
  ["?sessionType=NOT_AN_ENUM&cursor=abc", /"sessionType" is not WEB, IOS or ANDROID/],
  ["?limit=0", /"limit" is not an integer from 1 to 1000/],
  ["?limit=5&limit=6", /carries "limit" more than once/],
  ["?actorId=1%20OR%201%3D1", /"actorId" is not a numeric user id/],
  ["?dateFrom=yesterday", /"dateFrom" is not a date or date-time/],
  ["?cursor=a&pageToken=b", /more than one page token/],
  ["?cursor=%0D%0AX-Injected:%201", /"cursor" is not an opaque token/],
  ["?apikey=stolen", /carries "apikey", which GET \/audit\/events does not take/],
];

describe("an audit nextLink is checked against GET /audit/events's own parameters before it is sent", () => {
  let bin: StdioBinary;
  beforeAll(async () => {
    bin = await binary();
  });
  afterAll(async () => {
    await bin?.close();
  });

  for (const [query, why] of REFUSED) {
    it(`refuses ${query} and sends nothing`, async () => {
      const { sent, reply } = await follow(bin, query);
      expect(sent).toEqual([]);
      expect(reply.isError).toBe(true);
      expect(reply.text).toMatch(why);
      expect(reply.text).toMatch(/Nothing was sent to Clari; list the audit events again without a cursor/);
    });
  }

  it("sends a link of the operation's own parameters and a page token, with exactly those", async () => {
    const query = "?limit=50&sessionType=IOS&actorId=42&dateFrom=2026-01-01&dateTo=2026-01-31T23%3A59%3A59Z&event=forecast.updated&sessionId=fe795746-54b0-11ed-bdc3-0242ac120002&cursor=eyJvIjo1MH0%3D";
    const { sent, reply } = await follow(bin, query);
    expect(reply.isError, reply.text).toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(sent[0]))).toEqual(Object.fromEntries(new URLSearchParams(query)));
  });
});
