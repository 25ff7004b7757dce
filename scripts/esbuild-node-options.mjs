/**
 * The esbuild options every bundle of the server shares: the binary (scripts/build-bin.mjs) and the
 * conformance suite's CLI with fixtures (test/conformance/build-fixtures-cli.ts). One list, so a
 * package that must stay outside the bundle (a native binding, pg, undici) is named once.
 */
/**
 * zod re-exports its ~60 message locales as a namespace (`z.locales`), which a bundler cannot
 * drop once `z` is used as an object: 368 KB, half of zod in the bundle, compiled at every start.
 * The server and the SDK use only zod's default (English, which zod imports on its own), so the
 * bundled namespace holds English alone (the view's bundle, scripts/build-view.mjs, uses it too).
 */
export const ENGLISH_ZOD_LOCALES = {
  name: "english-zod-locales",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: "js" }));
  },
};

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
  plugins: [ENGLISH_ZOD_LOCALES],
  legalComments: "none",
  logLevel: "warning",
};
