#!/usr/bin/env node
/**
 * A small round-robin HTTP reverse proxy (node:http, no dependencies): each request goes to the
 * next upstream in turn, with its method, path, headers and body; the answer comes back with its
 * status and headers, both bodies streamed as they arrive, so an SSE response reaches the client
 * event by event. Hop-by-hop headers (Connection and those it names, Keep-Alive,
 * Transfer-Encoding, TE, Trailer, Upgrade, Proxy-*) are connection-level and not forwarded; Host
 * is kept; X-Forwarded-For/-Host/-Proto are added. No retries: an upstream that cannot be reached
 * answers 502 and the next request goes to the next upstream.
 *
 * For tests and local runs of several stateless replicas (deploy/compose.yaml uses nginx):
 *   node scripts/round-robin-proxy.mjs --port 8080 [--host 127.0.0.1] http://127.0.0.1:3001 http://127.0.0.1:3002
 *   import { startRoundRobinProxy } from "./scripts/round-robin-proxy.mjs";
 *   const proxy = await startRoundRobinProxy(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]);
 *   ... proxy.url ... await proxy.close();
 */
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

/** The end-to-end headers of a raw header list ([name, value, name, value, ...]), repeats kept. */
function endToEnd(rawHeaders) {
  const named = new Set();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === "connection") for (const token of rawHeaders[i + 1].split(",")) named.add(token.trim().toLowerCase());
  }
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}

/** Raw header list -> header object for http.request (repeated names become arrays). */
function headerObject(raw) {
  const headers = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (headers[name] === undefined) headers[name] = value;
    else headers[name] = [].concat(headers[name], value);
  }
  return headers;
}

/**
 * Starts the proxy on host:port (port 0: any free port). Resolves when it listens.
 * @param {string[]} upstreams base URLs, e.g. ["http://127.0.0.1:3001", "http://127.0.0.1:3002"]
 * @returns {Promise<{ url: string, port: number, served: number[], close(): Promise<void> }>}
 *   served[i] counts the requests sent to upstreams[i].
 */
export async function startRoundRobinProxy(upstreams, port = 0, host = "127.0.0.1") {
  if (!Array.isArray(upstreams) || upstreams.length === 0) throw new Error("startRoundRobinProxy needs at least one upstream URL.");
  const targets = upstreams.map((u) => {
    const url = new URL(u);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`Upstream ${u} is not an http(s) URL.`);
    const module = url.protocol === "https:" ? https : http;
    return { url, module, agent: new module.Agent({ keepAlive: true }), prefix: url.pathname.replace(/\/+$/, "") };
  });
  const served = targets.map(() => 0);
  let next = 0;

  const server = http.createServer((req, res) => {
    const index = next;
    next = (next + 1) % targets.length;
    served[index] += 1;
    const target = targets[index];

    const headers = headerObject(endToEnd(req.rawHeaders));
    const forwardedFor = req.socket.remoteAddress ?? "";
    headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${forwardedFor}` : forwardedFor;
    if (req.headers.host && !headers["x-forwarded-host"]) headers["x-forwarded-host"] = req.headers.host;
    if (!headers["x-forwarded-proto"]) headers["x-forwarded-proto"] = "http";

    const upstream = target.module.request({
      protocol: target.url.protocol,
      hostname: target.url.hostname.replace(/^\[|\]$/g, ""),
      port: target.url.port || undefined,
      method: req.method,
      path: `${target.prefix}${req.url ?? "/"}`,
      headers,
      agent: target.agent,
    });
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.rawHeaders));
      // Headers now, so an event stream's client sees the response before its first event.
      res.flushHeaders();
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (error) => {
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`Bad gateway: upstream ${target.url.origin} did not answer (${error.code ?? error.message}).\n`);
    });
    // The client went away (a closed SSE stream, a cancelled request): stop the upstream too.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  // Long-lived event streams must not be cut by the server's own timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const shownHost = address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    served,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const target of targets) target.agent.destroy();
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: "string", default: "8080" }, host: { type: "string", default: "127.0.0.1" } } });
  if (positionals.length === 0) {
    console.error("Usage: node scripts/round-robin-proxy.mjs [--port 8080] [--host 127.0.0.1] http://upstream-a:3000 http://upstream-b:3000 ...");
    process.exit(2);
  }
  const proxy = await startRoundRobinProxy(positionals, Number(values.port), values.host);
  console.error(`round-robin proxy on ${proxy.url} -> ${positionals.join(", ")}`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void proxy.close().then(() => process.exit(0)));
}
