#!/usr/bin/env node
/**
 * Part of `npm run build`: bundle the forecast view (view/forecast-view.ts, ext-apps' App class included)
 * with esbuild and inline it into one self-contained HTML file, dist/view/forecast-view.html, which the
 * server reads on the first request of its ui:// resource. No external script, style, font or image.
 * zod's error messages in forty languages are left out (the view never shows a validation message).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ENGLISH_ZOD_LOCALES } from "./esbuild-node-options.mjs";

const here = (p) => new URL(`../${p}`, import.meta.url);

const result = await build({
  entryPoints: [here("view/forecast-view.ts").pathname],
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2022"],
  write: false,
  legalComments: "none",
  plugins: [ENGLISH_ZOD_LOCALES],
  logLevel: "warning",
});
const script = result.outputFiles[0].text.replace(/<\/(script)/gi, "<\\/$1");
const html = readFileSync(here("view/forecast-view.html"), "utf8").split("/*VIEW_SCRIPT*/").join(script);
mkdirSync(here("dist/view"), { recursive: true });
writeFileSync(here("dist/view/forecast-view.html"), html);
if (process.argv.includes("--size")) console.log(`dist/view/forecast-view.html: ${html.length} bytes, ${gzipSync(html).length} gzipped`);
