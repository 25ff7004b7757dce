#!/usr/bin/env node
/** Part of `npm run build`: render tools/list once into dist/tools/listing.json (see src/tools/kit/listing.ts). */
import { writeFileSync } from "node:fs";
import { ALL_TOOLS } from "../dist/tools/index.js";
import { renderListing } from "../dist/tools/kit/listing.js";

writeFileSync(new URL("../dist/tools/listing.json", import.meta.url), JSON.stringify(renderListing(ALL_TOOLS)));
