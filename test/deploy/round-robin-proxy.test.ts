/**
 * scripts/round-robin-proxy.mjs in front of two real loopback upstreams: requests alternate,
 * method, path, headers and body reach the upstream, repeated response headers come back, an SSE
 * response passes through event by event, and an upstream that is down answers 502.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRoundRobinProxy, type RoundRobinProxy } from "../../scripts/round-robin-proxy.mjs";

interface Upstream {
  url: string;
  close(): Promise<void>;
}

/** Releases the second event of /events once the test has read the first. */
let releaseSecondEvent: () => void = () => {};

async function startUpstream(name: string): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    if (req.url === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(`event: message\ndata: first from ${name}\n\n`);
      const second = new Promise<void>((resolve) => (releaseSecondEvent = resolve));
      void second.then(() => res.end(`event: message\ndata: second from ${name}\n\n`));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, [
        "content-type", "application/json",
        "set-cookie", "a=1",
        "set-cookie", "b=2",
        "mcp-session-id", `session-of-${name}`,
      ]);
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

let a: Upstream;
let b: Upstream;
let proxy: RoundRobinProxy;

beforeAll(async () => {
  a = await startUpstream("a");
  b = await startUpstream("b");
  proxy = await startRoundRobinProxy([a.url, b.url]);
});
afterAll(async () => {
  await proxy?.close();
  await a?.close();
  await b?.close();
});

describe("the round-robin proxy", () => {
  it("sends each request to the next upstream in turn, with method, path, headers and body", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${proxy.url}/mcp?n=${i}`, {
        method: "POST",
        headers: { authorization: "Bearer team-token", "content-type": "application/json", "x-custom": `v${i}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" }),
      });
      expect(response.status).toBe(200);
      const echo = (await response.json()) as { upstream: string; method: string; url: string; headers: Record<string, string>; body: string };
      seen.push(echo.upstream);
      expect(echo.method).toBe("POST");
      expect(echo.url).toBe(`/mcp?n=${i}`);
      expect(echo.headers.authorization).toBe("Bearer team-token");
      expect(echo.headers["x-custom"]).toBe(`v${i}`);
      expect(echo.headers.host).toBe(new URL(proxy.url).host);
      expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(JSON.parse(echo.body)).toEqual({ jsonrpc: "2.0", id: i, method: "tools/list" });
      expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
      expect(response.headers.get("mcp-session-id")).toBe(`session-of-${echo.upstream}`);
    }
    expect(seen).toEqual(["a", "b", "a", "b"]);
    expect(proxy.served).toEqual([2, 2]);
  });

  it("streams an SSE response event by event", async () => {
    const response = await fetch(`${proxy.url}/events`, { headers: { accept: "text/event-stream" } });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // The upstream holds its second event until the first has reached us through the proxy.
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    expect(text).toMatch(/^event: message\ndata: first from [ab]\n\n$/);
    releaseSecondEvent();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
    expect(text).toMatch(/data: first from ([ab])\n\nevent: message\ndata: second from \1\n\n$/);
  });

  it("answers 502 for an upstream that is down, and goes on with the next", async () => {
    const down = await startUpstream("down");
    await down.close();
    const live = await startUpstream("live");
    const mixed = await startRoundRobinProxy([down.url, live.url]);
    try {
      const first = await fetch(`${mixed.url}/mcp`);
      expect(first.status).toBe(502);
      expect(await first.text()).toContain("did not answer");
      const second = await fetch(`${mixed.url}/mcp`);
      expect(((await second.json()) as { upstream: string }).upstream).toBe("live");
    } finally {
      await mixed.close();
      await live.close();
    }
  });
});
