/**
 * A raw TCP "Clari" on loopback that records every request's bytes exactly as they arrived (request
 * line, headers, body), so a test can prove what the client put on the wire. It answers each request
 * with a fixed reply (default: 404 in Clari's export error form) and closes the connection.
 */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface CapturedRequest {
  raw: Buffer;
  requestLine: string;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface Reply {
  status: number;
  body: string;
  contentType?: string;
}

export interface CaptureServer {
  url: string;
  v4Url: string;
  v2Url: string;
  requests: CapturedRequest[];
  reply: (req: CapturedRequest) => Reply;
  close(): Promise<void>;
}

const DEFAULT_REPLY: Reply = { status: 404, body: JSON.stringify({ code: "job_not_found", message: "No such job", errorId: "e1" }) };

function parse(raw: Buffer): CapturedRequest | undefined {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString("latin1");
  const [requestLine = "", ...lines] = head.split("\r\n");
  const headers = lines.map((line) => {
    const i = line.indexOf(":");
    return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()] as [string, string];
  });
  const length = Number(headers.find(([k]) => k === "content-length")?.[1] ?? 0);
  const chunked = headers.some(([k, v]) => k === "transfer-encoding" && /chunked/i.test(v));
  const body = raw.subarray(end + 4);
  if (chunked ? !body.includes("0\r\n\r\n") : body.length < length) return undefined;
  const [method = "", target = ""] = requestLine.split(" ");
  return { raw, requestLine, method, target, headers, body };
}

export async function startCaptureServer(reply?: (req: CapturedRequest) => Reply): Promise<CaptureServer> {
  const sockets = new Set<Socket>();
  const requests: CapturedRequest[] = [];
  const handle: CaptureServer = { url: "", v4Url: "", v2Url: "", requests, reply: reply ?? (() => DEFAULT_REPLY), close: async () => undefined };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const req = parse(buffer);
      if (!req) return;
      requests.push(req);
      const r = handle.reply(req);
      const body = Buffer.from(r.body);
      socket.end(
        Buffer.concat([
          Buffer.from(`HTTP/1.1 ${r.status} X\r\ncontent-type: ${r.contentType ?? "application/json"}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`),
          body,
        ]),
      );
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  handle.url = `http://127.0.0.1:${port}`;
  handle.v4Url = `${handle.url}/v4`;
  handle.v2Url = `${handle.url}/v2`;
  handle.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return handle;
}
