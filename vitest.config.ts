/**
 * Three tiers of tests, as vitest projects. `npm test` runs all three (after a build);
 * `npm run test:fast` runs only the first, with no build, for the edit loop.
 *
 * - fast: units and in-memory protocol tests: the sources, the sandbox on loopback, the server in
 *   process. No build (nothing reads dist/), no child process, no Postgres, no Chromium. Its files
 *   share their worker's modules (isolate: false), which halves its CPU time: loading the SDK,
 *   zod and undici again for each of ~60 files cost as much as the tests themselves. So a fast
 *   test leaves nothing behind: hooks belong to the test file (vitest's onTestFinished in helpers),
 *   and no test changes process-wide settings.
 * - release: what ships and how: pack, the Desktop bundle, the Dockerfile, deploy files, conformance.
 * - system: everything else: real processes (the built binary over stdio and HTTP), Postgres,
 *   Chromium, the lint check. A new test file lands here unless it is listed in fast or release
 *   (test/unit/ is fast, but for the files listed in release).
 */
import { defineConfig } from "vitest/config";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set for the fast tier: the harness keeps clari_query in process (no worker process). */
    queriesInProcess?: boolean;
  }
}

const FAST = [
  "test/answers/**/*.test.ts",
  "test/auth/permissions.test.ts",
  "test/client/**/*.test.ts",
  "test/config/**/*.test.ts",
  "test/deploy/round-robin-proxy.test.ts",
  "test/docs.test.ts",
  "test/exports/**/*.test.ts",
  "test/protocol/**/*.test.ts",
  "test/query/contract.test.ts",
  "test/query/events.test.ts",
  "test/query/lockdown.test.ts",
  "test/reliability/fake-clari.test.ts",
  "test/sandbox/**/*.test.ts",
  "test/security/fuzz-tools.test.ts",
  "test/security/http-isolation.test.ts",
  "test/security/injection.test.ts",
  "test/tools/**/*.test.ts",
  "test/unit/**/*.test.ts",
];

/** Listed here, a file is release even where a FAST pattern matches it too. */
const RELEASE = [
  "test/release/**/*.test.ts",
  "test/conformance/**/*.test.ts",
  "test/deploy/compose.test.ts",
  "test/e2e/desktop-bundle.test.ts",
  "test/e2e/pack.test.ts",
  "test/unit/bundle-check.test.ts",
  "test/unit/node24-runtime.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      // queriesInProcess: the harness runs clari_query in process even where dist/ holds a built query worker.
      { extends: true, test: { name: "fast", include: FAST, exclude: RELEASE, isolate: false, provide: { queriesInProcess: true } } },
      { extends: true, test: { name: "system", include: ["test/**/*.test.ts"], exclude: [...FAST, ...RELEASE] } },
      { extends: true, test: { name: "release", include: RELEASE } },
    ],
  },
});
