/**
 * The esbuild options every bundle of the server shares: the binary (scripts/build-bin.mjs) and the
 * conformance suite's CLI with fixtures (test/conformance/build-fixtures-cli.ts). One list, so a
 * package that must stay outside the bundle (a native binding, pg, undici) is named once.
 */
export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Native or optional-native packages stay outside (DuckDB's bindings, pg), as does undici
  // (loaded on the first Clari call).
  external: ["@duckdb/node-api", "@duckdb/node-bindings", "pg", "undici"],
  // Bundled CommonJS packages (proper-lockfile and its helpers) call require for Node's builtins.
  banner: { js: 'import { createRequire as __clariRequire } from "node:module"; const require = __clariRequire(import.meta.url);' },
  legalComments: "none",
  logLevel: "warning",
};
