#!/usr/bin/env node
/**
 * Part of `npm run build`, after tsc: the binary (dist/cli.js) bundled with esbuild into one
 * file plus lazily loaded chunks (dist/chunks/), so a start reads a handful of files instead of
 * some 450 modules (ours, the SDK's and zod's): the cold start this saves is measured by
 * `npm run bench` (bench/cold-start.mjs). The other dist/ modules stay as tsc wrote them, for the
 * tests and benchmarks that import them. Native or optional-native packages stay outside
 * (DuckDB's binding, pg), as does undici (loaded on the first Clari call).
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { NODE_BUNDLE_OPTIONS } from "./esbuild-node-options.mjs";

const here = (p) => new URL(`../${p}`, import.meta.url).pathname;

rmSync(here("dist/chunks"), { recursive: true, force: true });
await build({
  // The query worker (a child process the server starts on the first clari_query) is its own entry.
  entryPoints: {
    cli: here("dist/cli.js"),
    "query-worker": here("dist/exports/query/worker/worker-main.js"),
    // The forecast parse thread (a worker thread a forecast download starts) is another.
    "parse-thread": here("dist/exports/read/parse-thread-main.js"),
  },
  outdir: here("dist"),
  allowOverwrite: true,
  ...NODE_BUNDLE_OPTIONS,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
});
