/**
 * The forecast view as an MCP App: the tools that link it, its ui:// resource and CSP, and that the
 * link changes no result. A client without the MCP Apps extension gets exactly the results it got
 * before the view existed (text, resource_link and structuredContent; nothing ui:// in them).
 * The view's HTML is written by the build: test/e2e/built-listing-and-view.test.ts reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/client";
import { EXTENSION_ID, RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import { FORECAST_VIEW_URI, MCP_APP_LEGACY_URI_KEY, MCP_APP_MIME_TYPE } from "../../src/resources/uris.js";
import { createServer } from "../../src/server.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
let withApps: Client;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await startHarness();
  const server = createServer(h.deps);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  withApps = new Client({ name: "apps-host", version: "1.0.0" }, { capabilities: { extensions: { [EXTENSION_ID]: { mimeTypes: [MCP_APP_MIME_TYPE] } } } as never });
  await withApps.connect(a);
  closers.push(() => withApps.close(), () => server.close());
});
afterAll(async () => {
  for (const close of closers) await close();
  await h.close();
});

describe("the forecast view (MCP App)", () => {
  it("uses ext-apps' own names", () => {
    expect(MCP_APP_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
    expect(MCP_APP_LEGACY_URI_KEY).toBe(RESOURCE_URI_META_KEY);
  });

  it("is linked from clari_export_forecast and clari_query only", async () => {
    const { tools } = await h.client.listTools();
    const linked = tools.filter((t) => t._meta !== undefined);
    expect(linked.map((t) => t.name).sort()).toEqual(["clari_export_forecast", "clari_query"]);
    for (const tool of linked) expect(tool._meta).toEqual({ ui: { resourceUri: FORECAST_VIEW_URI }, [RESOURCE_URI_META_KEY]: FORECAST_VIEW_URI });
  });

  it("changes no tool result: a client without the extension gets the same content as one with it, and nothing ui://", async () => {
    const args = { forecastId: "net_bookings", waitSeconds: 30 };
    const first = await h.client.callTool({ name: "clari_export_forecast", arguments: args });
    expect(first.isError).toBeFalsy();
    expect((first.content as Array<{ type: string }>).map((c) => c.type)).toEqual(["text", "resource_link"]);
    expect(first._meta).toBeUndefined();
    const jobId = (first.structuredContent as { jobId: string }).jobId;
    const sql = `SELECT p.name, max(f.value) FILTER (WHERE f.field = 'Commit') AS commit FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.export_id = '${jobId}' AND f.is_latest_week GROUP BY 1 ORDER BY 1`;
    const calls = [
      { name: "clari_export_forecast", arguments: args },
      { name: "clari_query", arguments: { sql } },
    ];
    const steady = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/"ageMinutes":[\d.]+/g, '"ageMinutes":0').replace(/finished \d+ min ago/g, "finished N min ago"));
    for (const call of calls) {
      const plain = await h.client.callTool(call);
      const apps = await withApps.callTool(call);
      expect(plain.isError, call.name).toBeFalsy();
      expect(steady(apps)).toEqual(steady(plain));
      expect(JSON.stringify(plain)).not.toContain("ui://");
      expect(Object.keys(plain).sort()).toEqual(["content", "structuredContent"]);
    }
  });
});
