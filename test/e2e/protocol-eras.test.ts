/**
 * Both protocol eras on the built binary, over stdio and Streamable HTTP (stateful and
 * stateless): an SDK v2 client pinned to 2026-07-28 (server/discover, no initialize, no session),
 * a v2 client in its default 2025-11-25 mode (initialize, a session), and a 1.x SDK client, each
 * listing the tools and exporting a forecast from the sandbox with progress.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from "@modelcontextprotocol/client";
import { StdioClientTransport as StdioTransportV2 } from "@modelcontextprotocol/client/stdio";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as StdioTransportV1 } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as HttpTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI, cleanEnv } from "./binary.js";
import { startHttpServer } from "./http-server.js";

const SERVER_ARGS = ["--sandbox", "--no-cache", "--sandbox-job-ms", "1500"];

/** What the three clients have in common for this test. */
interface AnyClient {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  close(): Promise<void>;
}

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

type Era = "2026-07-28" | "2025-11-25 (v2 client)" | "1.x client";
const ERAS: Era[] = ["2026-07-28", "2025-11-25 (v2 client)", "1.x client"];

function v2Client(era: Era): ClientV2 {
  return new ClientV2({ name: "e2e-eras", version: "1.0.0" }, era === "2026-07-28" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
}

async function connect(era: Era, over: { stdio: true } | { url: string }): Promise<{ client: AnyClient; exportForecast(): Promise<{ outcome: string; progress: number }>; sessionId(): string | undefined; era(): string }> {
  const stdio = { command: process.execPath, args: [CLI, ...SERVER_ARGS], env: cleanEnv(), stderr: "ignore" as const };
  const args = { name: "clari_export_forecast", arguments: { forecastId: "net_bookings", fresh: true } }; // fresh: each client queues its own job (one HTTP server serves three)
  if (era === "1.x client") {
    const client = new ClientV1({ name: "e2e-eras-v1", version: "1.0.0" });
    const transport = "url" in over ? new HttpTransportV1(new URL(over.url)) : new StdioTransportV1(stdio);
    await client.connect(transport);
    closers.push(() => client.close());
    return {
      client,
      async exportForecast() {
        let progress = 0;
        const result = await client.callTool(args, undefined, { onprogress: () => void (progress += 1), timeout: 60_000 });
        return { outcome: (result.structuredContent as { outcome: string }).outcome, progress };
      },
      sessionId: () => ("sessionId" in transport ? transport.sessionId : undefined),
      era: () => "legacy",
    };
  }
  const client = v2Client(era);
  const transport = "url" in over ? new HttpTransportV2(new URL(over.url)) : new StdioTransportV2(stdio);
  await client.connect(transport);
  closers.push(() => client.close());
  return {
    client,
    async exportForecast() {
      let progress = 0;
      const result = await client.callTool(args, { onprogress: () => void (progress += 1), timeout: 60_000 });
      return { outcome: (result.structuredContent as { outcome: string }).outcome, progress };
    },
    sessionId: () => ("sessionId" in transport ? transport.sessionId : undefined),
    era: () => client.getProtocolEra() ?? "",
  };
}

describe.each([
  ["stdio", undefined],
  ["stateful HTTP", []],
  ["stateless HTTP", ["--stateless"]],
] as const)("both protocol eras over %s", (transport, httpFlags) => {
  let url: string | undefined;
  it.each(ERAS)("%s: lists the tools and exports a forecast with progress", async (era) => {
    if (httpFlags && !url) {
      const server = await startHttpServer([...SERVER_ARGS, ...httpFlags]);
      closers.push(server.close);
      url = server.url;
    }
    const connection = await connect(era, url ? { url } : { stdio: true });
    expect(connection.era()).toBe(era === "2026-07-28" ? "modern" : "legacy");
    // A 2026 client never gets a session; a 2025 one gets one from a stateful server only.
    if (transport !== "stdio") expect(connection.sessionId() !== undefined).toBe(era !== "2026-07-28" && transport === "stateful HTTP");
    const { tools } = await connection.client.listTools();
    expect(tools).toHaveLength(18);
    expect(tools.some((t) => t.name.startsWith("test_"))).toBe(false);
    const exported = await connection.exportForecast();
    expect(exported.outcome).toBe("done");
    expect(exported.progress).toBeGreaterThan(0);
  }, 60_000);
});
