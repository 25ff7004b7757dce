/**
 * What `npm run build` writes beside the code and the server reads: the catalogue rendered once
 * (dist/tools/listing.json) and the forecast view (dist/view/forecast-view.html). They need the
 * build, so they live here rather than beside the in-memory protocol tests that need none.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { FORECAST_VIEW_URI } from "../../src/resources/uris.js";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { renderListing } from "../../src/tools/kit/listing.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("tools/list", () => {
  it("serves the listing the build rendered, identical to a fresh rendering", async () => {
    const built = JSON.parse(readFileSync(new URL("../../dist/tools/listing.json", import.meta.url), "utf8")) as unknown[];
    expect(built).toEqual(renderListing(ALL_TOOLS));
    expect((await h.client.listTools()).tools).toEqual(JSON.parse(JSON.stringify(renderListing(ALL_TOOLS))));
  });
});

describe("the forecast view (MCP App)", () => {
  it("is a ui:// resource: one self-contained HTML file under a CSP with no domains", async () => {
    const { resources } = await h.client.listResources();
    const listed = resources.find((r) => r.uri === FORECAST_VIEW_URI);
    expect(listed).toMatchObject({ mimeType: RESOURCE_MIME_TYPE, _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] } } } });
    const { contents } = await h.client.readResource({ uri: FORECAST_VIEW_URI });
    const [content] = contents as Array<{ uri: string; mimeType: string; text: string; _meta: unknown }>;
    expect(content!.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(content!._meta).toMatchObject({ ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] } } });
    expect(content!.text).toMatch(/^<!doctype html>/i);
    // Nothing loaded from elsewhere: no script, stylesheet, image or font by URL.
    expect(content!.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|@import/i);
    expect(content!.text).not.toMatch(/\burl\(\s*['"]?(https?:)?\/\//); // CSS url() (JS's new URL() is not a load)
  });
});
