/** docs/TOOLS.md must match the catalogue, and docs/QUERY.md the query contract; regenerate with `npm run docs`. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TOOLSETS } from "../src/config.js";
import { ALL_TOOLS } from "../src/tools/index.js";
import { toolListing } from "../src/tools/kit/listing.js";
import { resultSchemas } from "../src/tools/kit/result-schema.js";
import { contractMarkdown } from "../src/exports/query/contract-markdown.js";
import { renderQueryDoc } from "../scripts/query-doc.mjs";
import { renderToolsDoc } from "../scripts/tools-doc.mjs";

describe("docs/TOOLS.md", () => {
  it("is up to date with the tool catalogue (run `npm run docs` to refresh)", () => {
    const onDisk = readFileSync(new URL("../docs/TOOLS.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderToolsDoc({ ALL_TOOLS, TOOLSETS, toolListing, resultSchemas }));
  });
});

describe("docs/QUERY.md", () => {
  it("ends with the query contract as clari://schema serves it (run `npm run docs` to refresh)", () => {
    const onDisk = readFileSync(new URL("../docs/QUERY.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderQueryDoc(onDisk, contractMarkdown()));
  });
});
