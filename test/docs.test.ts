/** docs/TOOLS.md must match the catalogue; regenerate with `npm run docs`. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TOOLSETS } from "../src/config.js";
import { ALL_TOOLS } from "../src/tools/index.js";
import { toolListing } from "../src/tools/kit/listing.js";
import { renderToolsDoc } from "../scripts/tools-doc.mjs";

describe("docs/TOOLS.md", () => {
  it("is up to date with the tool catalogue (run `npm run docs` to refresh)", () => {
    const onDisk = readFileSync(new URL("../docs/TOOLS.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderToolsDoc({ ALL_TOOLS, TOOLSETS, toolListing }));
  });
});
