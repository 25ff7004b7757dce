/**
 * A hostile fake Clari on loopback: every answer, 200 or error, echoes the apikey header it
 * received in every encoding of key-encodings.ts, composed forms included (every character
 * escaped, ignorables slipped in, two layers of escapes), in job titles, limits, audit events,
 * opportunity fields and error messages; it splits the key across two neighbouring fields of the
 * JSON answers (not of the export file: a byte stream is scrubbed of whole secrets only), and each
 * composed form across an audit error's message and details (an audit page asked with `event`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { composedEchoesOf, echoesOf, halvesOf } from "./key-encodings.js";

export interface EchoClari {
  v4Url: string;
  v2Url: string;
  /** "METHOD path" of every request, in order. */
  seen: string[];
  close(): Promise<void>;
}

export const ECHO_JOB_ID = "job0000000000000000000001";

function answer(method: string, path: string, key: string, query: URLSearchParams): { status: number; body: unknown; type?: string } {
  const echoes = [...echoesOf(key), ...composedEchoesOf(key)];
  const all = echoes.join(" | ");
  const [first, second] = halvesOf(key);
  const job = { jobId: ECHO_JOB_ID, status: "DONE", title: `Export ${all}`, module: "audit", fileName: `events-${first}`, fileType: `${second}.json`, startTime: 1, endTime: 2, expiredTime: 4e12 };
  if (path.startsWith("/v2/")) return { status: 400, body: [{ errorCode: "INVALID_INPUT_FORMAT", errorSummary: `apikey ${all} is invalid` }] };
  if (method === "POST" && path.startsWith("/v4/export/")) return { status: 200, body: { jobId: ECHO_JOB_ID } };
  if (path === "/v4/export/jobs") return { status: 200, body: { jobs: [job] } };
  if (path === `/v4/export/jobs/${ECHO_JOB_ID}`) return { status: 200, body: { job } };
  if (path === `/v4/export/jobs/${ECHO_JOB_ID}/results`) {
    // Whole echoes only: a stream is scrubbed of secrets, not of halves split across its fields.
    return { status: 200, body: { items: echoes.map((e, i) => ({ actorId: `u${i}`, event: "login", eventParameters: { note: e }, eventTimestamp: "2026-01-01T00:00:00Z" })), actors: [] } };
  }
  if (path.startsWith("/v4/export/jobs/")) return { status: 404, body: { code: "job_not_found", message: `No such job for apikey ${all}`, errorId: echoes[0] } };
  if (path === "/v4/admin/limits") return { status: 200, body: { monthlyQuota: 10, availableMonthlyQuota: 9, concurrentLimit: 2, availableConcurrentLimit: 1, runningJobIds: echoes, submittedJobIds: [] } };
  if (path === "/v4/audit/events" && query.has("event")) {
    // Each form split across an audit error's message and details (the client joins them).
    const errors = composedEchoesOf(key).map((form, i) => {
      const cut = Math.floor(((i + 1) * form.length) / (composedEchoesOf(key).length + 1));
      return { code: "bad_request", status: "400", message: `event filter ${form.slice(0, cut)}`, details: `${form.slice(cut)} is not allowed` };
    });
    return { status: 400, body: { errors } };
  }
  if (path === "/v4/audit/events") {
    return {
      status: 200,
      body: {
        items: echoes.map((e, i) => ({ actorId: `u${i}`, event: `login ${e}`, sessionId: first, sessionType: second, eventParameters: { echoed: e }, eventTimestamp: "2026-01-01T00:00:00Z", ipAddress: "127.0.0.1" })),
        actors: echoes.map((e, i) => ({ actorId: `u${i}`, actorType: "user", name: e, email: `${i}@example.com` })),
      },
    };
  }
  if (path === "/v4/opportunity") {
    return { status: 200, body: [{ oppId: "006000000000000AAA", crmScore: { score: 3, message: all }, fields: [{ id: "name", value: all }, { id: "split", alias: first, value: second }] }] };
  }
  if (path.startsWith("/v4/forecast/")) return { status: 500, body: `<html><body>upstream saw apikey ${all}</body></html>`, type: "text/html" };
  return { status: 400, body: { code: "bad_request", message: `apikey ${all} is invalid`, errorId: echoes[1] } };
}

export async function startEchoClari(): Promise<EchoClari> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname;
      seen.push(`${req.method} ${path}`);
      const { status, body, type } = answer(req.method ?? "GET", path, String(req.headers.apikey ?? ""), url.searchParams);
      res.writeHead(status, { "content-type": type ?? "application/json" });
      // Like PHP's json_encode, write "/" as "\/" in the raw body (the JSON-escaped echoes carry it).
      res.end(typeof body === "string" ? body : JSON.stringify(body).replaceAll("\\\\/", "\\/"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    v4Url: `http://127.0.0.1:${port}/v4`,
    v2Url: `http://127.0.0.1:${port}/v2`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
