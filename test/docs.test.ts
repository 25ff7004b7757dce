/** docs/TOOLS.md must match the catalogue; regenerate with `npm run docs`. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderToolsDoc } from "../src/tools/tools-doc.js";

describe("docs/TOOLS.md", () => {
  it("is up to date with the tool catalogue (run `npm run docs` to refresh)", () => {
    const onDisk = readFileSync(new URL("../docs/TOOLS.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderToolsDoc());
  });
});
