#!/usr/bin/env node
/**
 * npm run docs: regenerate docs/TOOLS.md from the built catalogue, the contract part of docs/QUERY.md from
 * the built query contract, and docs/img/forecast-view.png (the
 * README's picture of the forecast view) by the browser test's rendering: the built server on its sandbox,
 * the view in headless Chromium inside scripts/view-host.mjs. Without chromium the image is skipped.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { TOOLSETS } from "../dist/config.js";
import { contractMarkdown } from "../dist/exports/query/contract-markdown.js";
import { ALL_TOOLS } from "../dist/tools/index.js";
import { toolListing } from "../dist/tools/kit/listing.js";
import { resultSchemas } from "../dist/tools/kit/result-schema.js";
import { renderQueryDoc } from "./query-doc.mjs";
import { renderToolsDoc } from "./tools-doc.mjs";
import { chromiumPath, screenshotForecastView } from "./view-host.mjs";

writeFileSync(new URL("../docs/TOOLS.md", import.meta.url), renderToolsDoc({ ALL_TOOLS, TOOLSETS, toolListing, resultSchemas }));
console.log("docs/TOOLS.md written");
const queryDoc = new URL("../docs/QUERY.md", import.meta.url);
writeFileSync(queryDoc, renderQueryDoc(readFileSync(queryDoc, "utf8"), contractMarkdown()));
console.log("docs/QUERY.md written");

const image = fileURLToPath(new URL("../docs/img/forecast-view.png", import.meta.url));
if (!chromiumPath()) {
  console.log("chromium not found (apt-get install chromium, or set CHROMIUM_PATH): docs/img/forecast-view.png not regenerated");
} else {
  const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLARI_")));
  const client = new Client({ name: "clari-mcp-docs", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, "--sandbox", "--no-cache", "--sandbox-job-ms", "300"], env, stderr: "ignore" }));
  try {
    mkdirSync(new URL("../docs/img/", import.meta.url), { recursive: true });
    await screenshotForecastView({ client, path: image });
    console.log("docs/img/forecast-view.png written");
  } finally {
    await client.close();
  }
}
