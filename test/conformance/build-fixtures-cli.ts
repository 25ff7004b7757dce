/**
 * Bundles cli-with-fixtures.ts (the product's CLI plus the conformance fixtures) with esbuild into
 * dist/conformance/cli.js, beside the built binary so it finds the same package.json, view and
 * listing; package.json's `files` leaves dist/conformance/ out of the package.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE_OPTIONS } from "../../scripts/esbuild-node-options.mjs";

export const FIXTURES_CLI = fileURLToPath(new URL("../../dist/conformance/cli.js", import.meta.url));

export async function buildFixturesCli(): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL("./cli-with-fixtures.ts", import.meta.url))],
    outfile: FIXTURES_CLI,
    ...NODE_BUNDLE_OPTIONS,
  });
  return FIXTURES_CLI;
}
