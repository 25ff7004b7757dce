#!/usr/bin/env node
/** npm run docs: regenerate docs/TOOLS.md from the built catalogue. */
import { writeFileSync } from "node:fs";
import { renderToolsDoc } from "../dist/tools/tools-doc.js";

writeFileSync(new URL("../docs/TOOLS.md", import.meta.url), renderToolsDoc());
console.log("docs/TOOLS.md written");
