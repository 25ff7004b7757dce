/**
 * Files that ship beside the code (package.json, the rendered tool listing, the built view),
 * found from wherever this module runs: tsc's dist/ layout, the bundled binary (dist/cli.js and
 * dist/chunks/), or the sources under test.
 */
import { existsSync } from "node:fs";

/** The first of `paths` (relative to `base`, a module's import.meta.url) that exists. */
export function firstExisting(base: string, paths: readonly string[]): URL | undefined {
  return paths.map((p) => new URL(p, base)).find((url) => existsSync(url));
}
